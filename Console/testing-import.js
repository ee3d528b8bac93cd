// The import wizard: a file (dropped or picked: OpenAPI, Swagger, Postman, HAR) or pasted
// cURL; a preview from the API's dry run (format, what is created, changed and removed, the
// cases a re-import flags); then the import and its report with skipped items and reasons.
import * as api from "./api.js";
import { h, mount } from "./dom.js";
import { t } from "./i18n.js";
import { link, projectFrame, projectPath } from "./testing-common.js";
import { fieldMessage } from "./ui.js";

function section(title, items, render) {
  return h("section", { class: "import-section", "data-section": title }, h("h3", {}, `${t(`testing.import.${title}`)} (${items.length})`),
    items.length ? h("ul", {}, items.map(render)) : h("p", { class: "muted" }, t("testing.import.none")));
}

// The report of an import (done) or of its dry run (a preview).
export function importReport(report, project) {
  const caseLink = (id) => link(projectPath(project.id, "cases", id), id.slice(0, 8));
  return h("div", { class: "import-report" },
    h("p", {}, h("strong", {}, t("testing.import.format")), " ", h("span", { "data-format": report.format }, report.format), report.title ? ` · ${report.title}` : ""),
    section("created", report.created, (item) => h("li", { class: "diff-add" }, "+ ", item.operation_key)),
    section("updated", report.updated, (item) => h("li", { class: "diff-change" }, "~ ", item.operation_key, h("span", { class: "muted" }, ` (${item.changed.join(", ")})`))),
    section("removed", report.removed, (item) => h("li", { class: "diff-remove" }, "− ", item.operation_key)),
    section("flagged", report.flagged_cases, (item) => h("li", {}, caseLink(item.case_id), " ", item.operation_key)),
    section("skipped", report.skipped, (item) => h("li", {}, item.item, h("span", { class: "muted" }, ` — ${item.reason}`))),
    section("warnings", report.warnings, (item) => h("li", {}, h("code", {}, item.location), " ", item.message)));
}

export async function importWizard(container, { project, navigate }) {
  const state = { content: "", filename: null };
  const body = h("div", {});
  const format = h("select", { id: "import-format" }, h("option", { value: "" }, t("testing.import.detect")),
    ["openapi", "swagger", "postman", "har", "curl"].map((value) => h("option", { value }, value)));
  const createCases = h("input", { type: "checkbox", id: "import-cases", checked: true });
  const error = h("p", { class: "form-error", role: "alert" });
  const request = (dryRun) => api.post(`/projects/${project.id}/imports`, { content: state.content, filename: state.filename, format: format.value || null, create_cases: createCases.checked, dry_run: dryRun });

  function chooseSource() {
    const picker = h("input", { type: "file", id: "import-file", accept: ".json,.yaml,.yml,.har,.txt" });
    const pasted = h("textarea", { id: "import-text", rows: 8, placeholder: t("testing.import.pastePlaceholder") });
    const chosen = h("p", { class: "muted", "aria-live": "polite" });
    const read = async (file) => { state.content = await file.text(); state.filename = file.name; chosen.textContent = t("testing.import.chosen", { name: file.name }); };
    picker.addEventListener("change", () => picker.files[0] && read(picker.files[0]));
    const drop = h("div", { class: "dropzone", ondragover: (event) => { event.preventDefault(); drop.classList.add("over"); },
      ondragleave: () => drop.classList.remove("over"),
      ondrop: (event) => { event.preventDefault(); drop.classList.remove("over"); if (event.dataTransfer.files[0]) read(event.dataTransfer.files[0]); } },
    h("p", {}, t("testing.import.drop")), h("label", { for: picker.id }, t("testing.import.pick")), picker, chosen);
    async function preview() {
      if (pasted.value.trim()) { state.content = pasted.value; state.filename = null; }
      error.textContent = "";
      if (!state.content) { error.textContent = t("testing.import.nothing"); return; }
      try { showPreview(await request(true)); } catch (failure) { error.textContent = fieldMessage(failure) || failure.message; }
    }
    mount(body, h("h2", {}, t("testing.import.step1")), drop,
      h("label", { for: pasted.id, class: "field" }, t("testing.import.paste"), pasted),
      h("div", { class: "grid-form" }, h("label", { for: format.id, class: "field" }, t("testing.import.format"), format),
        h("label", { for: createCases.id, class: "check" }, createCases, t("testing.import.createCases"))),
      error, h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: preview }, t("testing.import.preview"))));
  }

  function showPreview(report) {
    async function confirm() {
      error.textContent = "";
      try { showDone(await request(false)); } catch (failure) { error.textContent = fieldMessage(failure) || failure.message; }
    }
    mount(body, h("h2", {}, t("testing.import.step2")), h("p", { class: "muted" }, t("testing.import.previewNote")), importReport(report, project), error,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: chooseSource }, t("testing.import.back")),
        h("button", { type: "button", class: "primary", onclick: confirm }, t("testing.import.confirm"))));
  }

  function showDone(report) {
    mount(body, h("h2", {}, t("testing.import.step3")), importReport(report, project),
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => navigate(projectPath(project.id, "endpoints")) }, t("testing.import.toCatalogue")),
        h("button", { type: "button", onclick: () => navigate(projectPath(project.id, "cases")) }, t("testing.tab.cases"))));
  }

  chooseSource();
  projectFrame(container, project, "endpoints", h("section", { class: "panel wizard" }, h("h2", {}, t("testing.import")), body));
}
