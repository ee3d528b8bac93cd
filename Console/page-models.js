// Model configurations: list, create and edit (the key masked, replaceable, never shown),
// a connection test showing latency or the provider's error, and usage per model.
import * as api from "./api.js";
import { formatNumber, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { dataTable } from "./table.js";
import { confirmAction, field, formDialog } from "./ui.js";

const providers = [["openai", "OpenAI"], ["anthropic", "Anthropic"], ["openai_compatible", "OpenAI-compatible"]];

export async function models(container, { can }) {
  const usage = new Map();
  const table = dataTable({
    label: t("menu./ai/models"),
    load: (page, size) => api.get(`/models${api.query({ page, page_size: size })}`),
    columns: [
      { key: "name", title: t("models.name") },
      { key: "provider", title: t("models.provider") },
      { key: "model", title: t("models.model") },
      { key: "api_key", title: t("models.apiKey"), sortable: false, render: (model) => model.api_key || t("models.noKey") },
      { key: "usage", title: t("usage.calls"), sortKey: (model) => usage.get(model.id)?.calls ?? 0, render: (model) => formatNumber(usage.get(model.id)?.calls ?? 0) },
      { key: "cost", title: t("usage.cost"), sortKey: (model) => usage.get(model.id)?.cost ?? 0, render: (model) => formatNumber(usage.get(model.id)?.cost ?? null, 4) },
      { key: "test", title: t("models.test"), sortable: false, render: (model) => testCell(model) },
      { key: "actions", title: t("common.actions"), sortable: false, render: (model) => h("div", { class: "actions" },
        can("model:update") ? h("button", { type: "button", onclick: () => open(model) }, t("common.edit")) : null,
        can("model:delete") ? h("button", { type: "button", class: "danger", onclick: () => remove(model) }, t("common.delete")) : null) },
    ],
  });

  function testCell(model) {
    if (!can("model:test")) return "";
    const result = h("span", { class: "test-result", "data-test-result": model.id });
    const button = h("button", { type: "button", onclick: async () => {
      button.disabled = true;
      result.textContent = t("models.testing");
      try {
        const outcome = await api.post(`/models/${model.id}/test`);
        result.className = `test-result ${outcome.ok ? "ok" : "failed"}`;
        result.textContent = outcome.ok ? t("models.testOk", { ms: formatNumber(outcome.latency_ms, 0) }) : t("models.testFailed", { error: outcome.error || "" });
      } catch (error) { result.textContent = error.message; }
      button.disabled = false;
    } }, t("models.test"));
    return h("div", { class: "actions" }, button, result);
  }

  async function open(model) {
    const fields = [
      field("name", t("models.name"), { value: model && model.name, required: true }),
      field("provider", t("models.provider"), { options: providers, value: model ? model.provider : "openai" }),
      field("model", t("models.model"), { value: model && model.model, required: true }),
      field("base_url", t("models.baseURL"), { value: model && model.base_url, placeholder: "https://api.openai.com/v1" }),
      // The stored key is never sent back: empty keeps it, a value replaces it.
      field("api_key", t("models.apiKey"), { type: "password", autocomplete: "new-password", placeholder: model && model.api_key ? t("models.keepKey", { mask: model.api_key }) : "" }),
    ];
    const value = (name) => fields.find((item) => item.name === name).input.value;
    const done = await formDialog(model ? t("models.edit", { name: model.name }) : t("models.create"), fields, () => {
      const body = { name: value("name"), provider: value("provider"), model: value("model"), base_url: value("base_url") || null };
      if (value("api_key")) body.api_key = value("api_key");
      return model ? api.put(`/models/${model.id}`, body) : api.post("/models", body);
    });
    if (done) { toast(t("common.saved"), "success"); table.reload(); }
  }

  async function remove(model) {
    if (!(await confirmAction(t("models.confirmDelete", { name: model.name })))) return;
    try {
      await api.del(`/models/${model.id}`);
      toast(t("common.deleted"), "success");
      table.reload();
    } catch (error) { toast(error.message, "error"); }
  }

  mount(container,
    h("div", { class: "page-head" }, h("h1", {}, t("menu./ai/models")),
      can("model:create") ? h("button", { type: "button", class: "primary", onclick: () => open(null) }, t("models.create")) : null),
    table.element);
  const report = await api.get("/llm-usage").catch(() => ({ by_model: [] }));
  for (const line of report.by_model) if (line.model_config_id) usage.set(line.model_config_id, line.usage);
  await table.first();
}
