// Agents: list, create and edit (tools picked from the registry the API documents), run one
// and watch its steps stream, and each run's steps afterwards.
import * as api from "./api.js";
import { dialog, formatDate, formatNumber, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { renderMarkdown } from "./markdown.js";
import { dataTable } from "./table.js";
import { confirmAction, field, formDialog } from "./ui.js";

// The registry's tool names, as the OpenAPI document lists them for an agent's `tools`.
async function toolNames() {
  const document = await fetch("/api/v1/openapi.json").then((response) => response.json());
  const schema = document.components.schemas.AgentCreate || {};
  return ((schema.properties && schema.properties.tools && schema.properties.tools.items) || {}).enum || [];
}

export async function agents(container, { can }) {
  const table = dataTable({
    label: t("menu./ai/agents"),
    load: (page, size) => api.get(`/agents${api.query({ page, page_size: size })}`),
    columns: [
      { key: "name", title: t("models.name") },
      { key: "type", title: t("agents.type") },
      { key: "tools", title: t("agents.tools"), sortable: false, render: (agent) => (agent.tools || []).join(", ") },
      { key: "actions", title: t("common.actions"), sortable: false, render: (agent) => h("div", { class: "actions" },
        can("agent:run") ? h("button", { type: "button", onclick: () => run(agent) }, t("agents.run")) : null,
        h("button", { type: "button", onclick: () => history(agent) }, t("agents.history")),
        can("agent:update") ? h("button", { type: "button", onclick: () => open(agent) }, t("common.edit")) : null,
        can("agent:delete") ? h("button", { type: "button", class: "danger", onclick: () => remove(agent) }, t("common.delete")) : null) },
    ],
  });
  const runPanel = h("section", { class: "panel", hidden: true, "aria-live": "polite" });

  async function open(agent) {
    const [models, tools] = await Promise.all([api.get("/models?page_size=100").then((page) => page.items), toolNames()]);
    const fields = [
      field("name", t("models.name"), { value: agent && agent.name, required: true }),
      field("model_config_id", t("chat.model"), { options: models.map((model) => [model.id, model.name]), value: agent && agent.model_config_id }),
      field("system_prompt", t("agents.systemPrompt"), { multiline: true, value: agent && agent.system_prompt }),
    ];
    const boxes = tools.map((name) => h("input", { type: "checkbox", id: `tool-${name}`, value: name, checked: Boolean(agent && agent.tools.includes(name)) }));
    const toolField = { name: "tools", input: boxes[0] || h("input", {}), error: h("span", { class: "field-error" }),
      element: h("fieldset", { class: "field checks" }, h("legend", {}, t("agents.tools")), boxes.map((box) => h("label", { for: box.id, class: "check" }, box, box.value))) };
    const value = (name) => fields.find((item) => item.name === name).input.value;
    const done = await formDialog(agent ? t("models.edit", { name: agent.name }) : t("agents.create"), [...fields, toolField], () => {
      const body = { name: value("name"), model_config_id: value("model_config_id"), system_prompt: value("system_prompt") || null,
        tools: boxes.filter((box) => box.checked).map((box) => box.value) };
      return agent ? api.put(`/agents/${agent.id}`, body) : api.post("/agents", body);
    });
    if (done) { toast(t("common.saved"), "success"); table.reload(); }
  }

  async function remove(agent) {
    if (!(await confirmAction(t("models.confirmDelete", { name: agent.name })))) return;
    try {
      await api.del(`/agents/${agent.id}`);
      toast(t("common.deleted"), "success");
      table.reload();
    } catch (error) { toast(error.message, "error"); }
  }

  function stepNode(step) {
    if (step.kind === "tool") {
      return h("li", { class: `step tool ${step.is_error ? "failed" : ""}` }, h("strong", {}, t("agents.toolCall", { name: step.tool_name || "" })), " ",
        h("code", {}, step.arguments || ""), step.result != null ? h("pre", { class: "code" }, h("code", {}, step.result)) : null);
    }
    return h("li", { class: "step model" }, h("strong", {}, t("agents.modelStep")), " ",
      h("span", { class: "muted" }, t("agents.stepTokens", { input: step.input_tokens ?? 0, output: step.output_tokens ?? 0, ms: formatNumber(step.duration_ms, 0) })),
      step.text ? h("div", { class: "message-body" }, renderMarkdown(step.text)) : null, step.error ? h("p", { class: "form-error" }, step.error) : null);
  }

  // Streams a run: the answer grows as the model writes, tool calls and results as they happen.
  async function run(agent) {
    const input = field("input", t("agents.input"), { multiline: true, required: true });
    const started = await formDialog(t("agents.runTitle", { name: agent.name }), [input], () => input.input.value);
    if (!started) return;
    const steps = h("ol", { class: "steps" });
    const answer = h("div", { class: "message-body" });
    const status = h("p", { class: "muted" }, t("chat.streaming"));
    let text = "";
    runPanel.hidden = false;
    mount(runPanel, h("h2", {}, t("agents.runTitle", { name: agent.name })), steps, answer, status);
    try {
      await api.stream(`/agents/${agent.id}/run`, { input: started, stream: true }, (name, data) => {
        if (name === "delta") { text += data.text; mount(answer, renderMarkdown(text)); }
        else if (name === "tool_call") steps.append(h("li", { class: "step tool" }, h("strong", {}, t("agents.toolCall", { name: data.name })), " ", h("code", {}, typeof data.arguments === "string" ? data.arguments : JSON.stringify(data.arguments))));
        else if (name === "tool_result") steps.append(h("li", { class: `step tool ${data.is_error ? "failed" : ""}` }, h("strong", {}, t("agents.toolResult", { name: data.name })), h("pre", { class: "code" }, h("code", {}, typeof data.result === "string" ? data.result : JSON.stringify(data.result)))));
        else if (name === "done") status.textContent = t("agents.finished");
        else if (name === "error") status.textContent = t("chat.failed", { error: data.message || "" });
      });
    } catch (error) { status.textContent = t("chat.failed", { error: error.message }); }
  }

  async function history(agent) {
    const runs = (await api.get(`/agents/${agent.id}/runs?page_size=20`)).items;
    const detail = async (item) => {
      const full = await api.get(`/agents/${agent.id}/runs/${item.id}`);
      await dialog(t("agents.runDetail"), h("div", {}, h("p", {}, h("strong", {}, t("agents.input")), " ", full.input),
        h("ol", { class: "steps" }, (full.steps || []).map(stepNode)),
        full.error ? h("p", { class: "form-error" }, full.error) : null), [{ label: t("common.close"), value: true, class: "primary" }]);
    };
    await dialog(t("agents.history"), runs.length
      ? h("table", { class: "data" }, h("thead", {}, h("tr", {}, [t("audit.time"), t("audit.status"), t("usage.tokens"), t("common.actions")].map((title) => h("th", { scope: "col" }, title)))),
        h("tbody", {}, runs.map((item) => h("tr", {}, h("td", {}, formatDate(item.created_at)), h("td", {}, item.status),
          h("td", {}, formatNumber(item.input_tokens + item.output_tokens)), h("td", {}, h("button", { type: "button", onclick: () => detail(item) }, t("common.detail")))))))
      : h("p", { class: "empty" }, t("table.empty")), [{ label: t("common.close"), value: true, class: "primary" }]);
  }

  mount(container,
    h("div", { class: "page-head" }, h("h1", {}, t("menu./ai/agents")),
      can("agent:create") ? h("button", { type: "button", class: "primary", onclick: () => open(null) }, t("agents.create")) : null),
    table.element, runPanel);
  await table.first();
}
