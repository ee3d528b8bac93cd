// API testing: projects and the project page (endpoints, cases, suites, runs, schedules,
// settings), the endpoint page, the menu's own pages, and access tokens. The case editor,
// import wizard, environment editor, runs and schedules live in the testing-*.js modules.
import * as api from "./api.js";
import { dialog, formatDate, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { dataTable } from "./table.js";
import { allItems, copyText, link, projectFrame, projectPath, projectTabs, statusBadge } from "./testing-common.js";
import { caseEditor } from "./testing-case.js";
import { environmentEditor } from "./testing-environment.js";
import { importWizard } from "./testing-import.js";
import { runPage, runsTab, startRun, trendsPage } from "./testing-run.js";
import { schedulesTab } from "./testing-schedules.js";
import { confirmAction, field, formDialog } from "./ui.js";

// /testing/projects[/ID[/TAB[/ITEM]]]
export async function projects(container, context) {
  const [, , , projectID, tab = "endpoints", item] = context.path.split("/");
  if (!projectID) return projectList(container, context);
  const project = await api.get(`/projects/${projectID}`);
  document.title = `${project.name} · ${t("app.title")}`;
  const pages = {
    endpoints: item ? endpointPage : endpointsTab, cases: item ? caseEditor : casesTab, suites: suitesTab, runs: runsTab,
    schedules: schedulesTab, settings: settingsTab, import: importWizard, environments: environmentEditor, trends: trendsPage,
  };
  const page = pages[tab] || (projectTabs.find((entry) => entry.key === tab) || {}).page;
  if (!page) return projectFrame(container, project, tab, h("p", { class: "muted" }, t("common.notYet")));
  await page(container, { ...context, project, item });
}

async function projectList(container, { can, navigate }) {
  const search = h("input", { type: "search", id: "project-search", "aria-label": t("testing.searchProjects"), placeholder: t("testing.searchProjects") });
  const table = dataTable({
    label: t("menu./testing/projects"),
    load: (page, size) => api.get(`/projects${api.query({ page, page_size: size, search: search.value })}`),
    columns: [
      { key: "name", title: t("testing.name"), render: (project) => link(projectPath(project.id), project.name) },
      { key: "description", title: t("testing.description") },
      { key: "updated_at", title: t("testing.updated"), render: (project) => formatDate(project.updated_at || project.created_at) },
    ],
  });
  search.addEventListener("input", () => table.first());
  async function create() {
    const fields = [field("name", t("testing.name"), { required: true }), field("description", t("testing.description"), { multiline: true, rows: 2 })];
    const created = await formDialog(t("testing.newProject"), fields, () =>
      api.post("/projects", { name: fields[0].input.value, description: fields[1].input.value || null }));
    if (created) navigate(projectPath(created.id));
  }
  mount(container,
    h("div", { class: "page-head" }, h("h1", {}, t("menu./testing/projects")),
      h("div", { class: "actions" }, link("/testing/tokens", t("testing.tokens")),
        can("project:create") ? h("button", { type: "button", class: "primary", onclick: create }, t("testing.newProject")) : null)),
    h("div", { class: "filters" }, search), table.element);
  await table.first();
}

// The catalogue grouped by tag, searchable.
async function endpointsTab(container, { project, can }) {
  const search = h("input", { type: "search", "aria-label": t("testing.searchEndpoints"), placeholder: t("testing.searchEndpoints") });
  const list = h("div", { class: "catalogue" });
  async function draw() {
    const endpoints = await allItems(`/projects/${project.id}/endpoints${api.query({ search: search.value })}`, 2000);
    const groups = new Map();
    for (const endpoint of endpoints) for (const tag of endpoint.tags.length ? endpoint.tags : [t("testing.untagged")]) {
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(endpoint);
    }
    mount(list, groups.size ? [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([tag, items]) => h("section", { class: "panel" },
      h("h2", {}, tag),
      h("ul", { class: "endpoint-list" }, items.map((endpoint) => h("li", {},
        h("span", { class: `method method-${endpoint.method}` }, endpoint.method), " ",
        link(projectPath(project.id, "endpoints", endpoint.id), endpoint.path), " ",
        h("span", { class: "muted" }, endpoint.summary || ""), endpoint.deprecated ? h("span", { class: "status" }, t("testing.deprecated")) : null)))))
      : h("p", { class: "empty" }, t("testing.noEndpoints")));
  }
  let timer;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(draw, 200); });
  projectFrame(container, project, "endpoints",
    h("div", { class: "page-head" }, search,
      can("endpoint:import") ? link(projectPath(project.id, "import"), t("testing.import"), { class: "button primary" }) : null),
    list);
  await draw();
}

function schemaBlock(title, value) {
  if (value === null || value === undefined || (Array.isArray(value) && !value.length)) return null;
  return h("section", { class: "panel" }, h("h2", {}, title), h("pre", { class: "code" }, h("code", {}, JSON.stringify(value, null, 2))));
}

async function endpointPage(container, { project, item }) {
  const [endpoint, cases] = await Promise.all([
    api.get(`/projects/${project.id}/endpoints/${item}`),
    api.get(`/projects/${project.id}/cases${api.query({ endpoint_id: item, page_size: 100 })}`),
  ]);
  const parameters = Array.isArray(endpoint.parameters) ? endpoint.parameters : [];
  projectFrame(container, project, "endpoints",
    h("h2", {}, h("span", { class: `method method-${endpoint.method}` }, endpoint.method), " ", endpoint.path),
    endpoint.summary ? h("p", {}, endpoint.summary) : null,
    h("p", { class: "muted" }, endpoint.operation_key, " · ", endpoint.tags.join(", ")),
    parameters.length ? h("section", { class: "panel" }, h("h2", {}, t("testing.parameters")),
      h("table", { class: "data" }, h("thead", {}, h("tr", {}, [t("testing.name"), t("testing.in"), t("testing.required"), t("testing.schema")].map((title) => h("th", { scope: "col" }, title)))),
        h("tbody", {}, parameters.map((parameter) => h("tr", {}, h("td", {}, parameter.name), h("td", {}, parameter.in),
          h("td", {}, parameter.required ? "✓" : ""), h("td", {}, h("code", {}, JSON.stringify(parameter.schema || {})))))))) : null,
    schemaBlock(t("testing.requestBody"), endpoint.request_body),
    schemaBlock(t("testing.responses"), endpoint.responses),
    h("section", { class: "panel" }, h("h2", {}, t("testing.casesUsing")),
      cases.items.length ? h("ul", {}, cases.items.map((testCase) => h("li", {}, link(projectPath(project.id, "cases", testCase.id), testCase.name))))
        : h("p", { class: "empty" }, t("table.empty"))));
}

async function casesTab(container, { project, can, navigate }) {
  const search = h("input", { type: "search", "aria-label": t("testing.searchCases"), placeholder: t("testing.searchCases") });
  const flagged = h("select", { "aria-label": t("testing.flagged") },
    h("option", { value: "" }, t("common.all")), h("option", { value: "true" }, t("testing.flaggedOnly")));
  const table = dataTable({
    label: t("testing.tab.cases"),
    load: (page, size) => api.get(`/projects/${project.id}/cases${api.query({ page, page_size: size, search: search.value, flagged: flagged.value })}`),
    columns: [
      { key: "name", title: t("testing.name"), render: (testCase) => link(projectPath(project.id, "cases", testCase.id), testCase.name) },
      { key: "priority", title: t("testing.priority") },
      { key: "tags", title: t("testing.tags"), sortable: false, render: (testCase) => testCase.tags.join(", ") },
      { key: "flagged", title: t("testing.flagged"), render: (testCase) => testCase.flagged ? h("span", { class: "status status-failed", title: testCase.flag_reason || "" }, t("testing.flagged")) : "" },
      { key: "steps", title: t("testing.steps"), render: (testCase) => testCase.steps.length },
    ],
  });
  search.addEventListener("input", () => table.first());
  flagged.addEventListener("change", () => table.first());
  async function create() {
    const name = field("name", t("testing.name"), { required: true });
    const created = await formDialog(t("testing.newCase"), [name], () => api.post(`/projects/${project.id}/cases`, { name: name.input.value, steps: [] }));
    if (created) navigate(projectPath(project.id, "cases", created.id));
  }
  projectFrame(container, project, "cases",
    h("div", { class: "page-head" }, h("div", { class: "filters" }, search, flagged),
      can("testcase:create") ? h("button", { type: "button", class: "primary", onclick: create }, t("testing.newCase")) : null),
    table.element);
  await table.first();
}

// A suite: its cases in order (drag or arrows to reorder), mode, setup and teardown, bail, retries.
async function suitesTab(container, { project, can, navigate }) {
  const [suites, cases, environments] = await Promise.all([
    allItems(`/projects/${project.id}/suites`), allItems(`/projects/${project.id}/cases`, 2000), allItems(`/projects/${project.id}/environments`),
  ]);
  const caseName = new Map(cases.map((testCase) => [testCase.id, testCase.name]));
  const editor = h("section", { class: "panel", hidden: true });
  const editable = can("testcase:update");

  function edit(suite) {
    const draft = { name: "", description: "", mode: "sequential", concurrency: 4, retries: 0, stop_on_failure: false, case_ids: [], setup_case_id: null, teardown_case_id: null, ...suite };
    const order = h("ol", { class: "suite-cases", "aria-label": t("testing.suiteCases") });
    let dragged = null;
    const move = (from, to) => { const [id] = draft.case_ids.splice(from, 1); draft.case_ids.splice(to, 0, id); drawOrder(); };
    function drawOrder() {
      mount(order, draft.case_ids.map((id, index) => h("li", {
        draggable: editable ? "true" : null, "data-case": id,
        ondragstart: () => { dragged = index; }, ondragover: (event) => event.preventDefault(),
        ondrop: (event) => { event.preventDefault(); if (dragged !== null && dragged !== index) move(dragged, index); dragged = null; },
      }, h("span", { class: "drag", "aria-hidden": "true" }, "⋮⋮ "), caseName.get(id) || id,
      editable ? h("span", { class: "actions" },
        h("button", { type: "button", "aria-label": t("testing.moveUp"), disabled: index === 0, onclick: () => move(index, index - 1) }, "↑"),
        h("button", { type: "button", "aria-label": t("testing.moveDown"), disabled: index === draft.case_ids.length - 1, onclick: () => move(index, index + 1) }, "↓"),
        h("button", { type: "button", class: "danger", "aria-label": t("common.delete"), onclick: () => { draft.case_ids.splice(index, 1); drawOrder(); } }, "×")) : null)));
    }
    const choices = (selected) => [h("option", { value: "" }, "—"), cases.map((testCase) => h("option", { value: testCase.id, selected: testCase.id === selected }, testCase.name))];
    const name = h("input", { id: "suite-name", value: draft.name, required: true });
    const mode = h("select", { id: "suite-mode" }, ["sequential", "parallel"].map((value) => h("option", { value, selected: value === draft.mode }, t(`testing.mode.${value}`))));
    const concurrency = h("input", { id: "suite-concurrency", type: "number", min: 1, max: 64, value: draft.concurrency });
    const retries = h("input", { id: "suite-retries", type: "number", min: 0, max: 5, value: draft.retries });
    const bail = h("input", { id: "suite-bail", type: "checkbox", checked: draft.stop_on_failure });
    const setup = h("select", { id: "suite-setup" }, choices(draft.setup_case_id));
    const teardown = h("select", { id: "suite-teardown" }, choices(draft.teardown_case_id));
    const adding = h("select", { id: "suite-add", "aria-label": t("testing.addCase") }, choices(null));
    const error = h("p", { class: "form-error", role: "alert" });
    async function save() {
      const body = { name: name.value, mode: mode.value, concurrency: Number(concurrency.value), retries: Number(retries.value), stop_on_failure: bail.checked,
        case_ids: draft.case_ids, setup_case_id: setup.value || null, teardown_case_id: teardown.value || null };
      try {
        if (suite) await api.put(`/projects/${project.id}/suites/${suite.id}`, body);
        else await api.post(`/projects/${project.id}/suites`, body);
        toast(t("common.saved"), "success");
        navigate(projectPath(project.id, "suites"));
      } catch (failure) { error.textContent = failure.message; }
    }
    const label = (control, text) => h("label", { for: control.id, class: "field" }, text, control);
    editor.hidden = false;
    mount(editor, h("h2", {}, suite ? suite.name : t("testing.newSuite")),
      h("div", { class: "grid-form" }, label(name, t("testing.name")), label(mode, t("testing.mode")), label(concurrency, t("testing.concurrency")),
        label(retries, t("testing.retries")), label(setup, t("testing.setup")), label(teardown, t("testing.teardown")),
        h("label", { for: bail.id, class: "check" }, bail, t("testing.bail"))),
      h("h3", {}, t("testing.suiteCases")), order,
      editable ? h("div", { class: "actions" }, adding, h("button", { type: "button", onclick: () => { if (adding.value) { draft.case_ids.push(adding.value); drawOrder(); } } }, t("testing.addCase"))) : null,
      error, editable ? h("div", { class: "dialog-buttons" }, h("button", { type: "button", class: "primary", onclick: save }, t("common.save"))) : null);
    drawOrder();
    name.focus();
  }

  async function remove(suite) {
    if (!(await confirmAction(t("testing.confirmDelete", { name: suite.name })))) return;
    try { await api.del(`/projects/${project.id}/suites/${suite.id}`); navigate(projectPath(project.id, "suites")); } catch (error) { toast(error.message, "error"); }
  }

  const rows = suites.map((suite) => h("tr", {},
    h("td", {}, suite.name), h("td", {}, t(`testing.mode.${suite.mode}`)), h("td", {}, suite.case_ids.length),
    h("td", {}, h("div", { class: "actions" },
      can("testrun:execute") ? h("button", { type: "button", class: "primary", onclick: () => startRun({ project, environments, suite, navigate }) }, t("testing.run")) : null,
      h("button", { type: "button", onclick: () => edit(suite) }, editable ? t("common.edit") : t("common.detail")),
      can("testcase:delete") ? h("button", { type: "button", class: "danger", onclick: () => remove(suite) }, t("common.delete")) : null))));
  projectFrame(container, project, "suites",
    h("div", { class: "page-head" }, h("span", {}), can("testcase:create") ? h("button", { type: "button", class: "primary", onclick: () => edit(null) }, t("testing.newSuite")) : null),
    h("div", { class: "table-wrap" }, h("table", { class: "data", "aria-label": t("testing.tab.suites") },
      h("thead", {}, h("tr", {}, [t("testing.name"), t("testing.mode"), t("testing.tab.cases"), t("common.actions")].map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 4, class: "empty" }, t("table.empty")))))),
    editor);
}

// The project's name and description, its environments, and deleting it.
async function settingsTab(container, { project, can, navigate }) {
  const environments = await allItems(`/projects/${project.id}/environments`);
  const name = field("name", t("testing.name"), { value: project.name, required: true });
  const description = field("description", t("testing.description"), { value: project.description, multiline: true, rows: 2 });
  const editable = can("project:update");
  for (const item of [name, description]) item.input.disabled = !editable;
  async function save(event) {
    event.preventDefault();
    try { await api.put(`/projects/${project.id}`, { name: name.input.value, description: description.input.value || null }); toast(t("common.saved"), "success"); }
    catch (error) { toast(error.message, "error"); }
  }
  async function remove() {
    if (!(await confirmAction(t("testing.confirmDelete", { name: project.name })))) return;
    try { await api.del(`/projects/${project.id}`); navigate("/testing/projects"); } catch (error) { toast(error.message, "error"); }
  }
  projectFrame(container, project, "settings",
    h("section", { class: "panel" }, h("div", { class: "page-head" }, h("h2", {}, t("testing.environments")),
      editable ? link(projectPath(project.id, "environments", "new"), t("testing.newEnvironment"), { class: "button primary" }) : null),
      environments.length ? h("ul", {}, environments.map((environment) => h("li", {},
        link(projectPath(project.id, "environments", environment.id), environment.name), " ",
        h("span", { class: "muted" }, Object.values(environment.base_urls).join(", ")))))
        : h("p", { class: "empty" }, t("testing.noEnvironments"))),
    h("form", { class: "panel form", onsubmit: save }, h("h2", {}, t("testing.project")), name.element, description.element,
      editable ? h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("common.save")),
        can("project:delete") ? h("button", { type: "button", class: "danger", onclick: remove }, t("testing.deleteProject")) : null) : null));
}

// The menu's pages that belong to a project: pick one, then its tab.
function projectPicker(tab) {
  return async (container, { path }) => {
    const items = (await api.get("/projects?page_size=100")).items;
    mount(container, h("h1", {}, t(`menu.${path}`)), h("p", { class: "muted" }, t("testing.pickProject")),
      items.length ? h("ul", { class: "project-picks" }, items.map((project) => h("li", {}, link(projectPath(project.id, tab), project.name))))
        : h("p", { class: "empty" }, t("testing.noProjects"), " ", link("/testing/projects", t("testing.newProject"))));
  };
}

export const endpointsMenu = projectPicker("endpoints");
export const casesMenu = projectPicker("cases");
export const reportsMenu = projectPicker("trends");

// /testing/runs (every visible run) and /testing/runs/ID.
export async function runs(container, context) {
  const runID = context.path.split("/")[3];
  if (runID) return runPage(container, { ...context, runID });
  const status = h("select", { "aria-label": t("audit.status") }, h("option", { value: "" }, t("common.all")),
    ["queued", "running", "passed", "failed", "error", "cancelled"].map((value) => h("option", { value }, t(`testing.status.${value}`))));
  const table = dataTable({
    label: t("menu./testing/runs"),
    load: (page, size) => api.get(`/runs${api.query({ page, page_size: size, status: status.value })}`),
    columns: [
      { key: "created_at", title: t("audit.time"), render: (run) => link(`/testing/runs/${run.id}`, formatDate(run.created_at)) },
      { key: "status", title: t("audit.status"), render: (run) => statusBadge(run.status) },
      { key: "planned_cases", title: t("testing.tab.cases") },
      { key: "duration_ms", title: t("testing.duration"), render: (run) => run.duration_ms == null ? "" : `${Math.round(run.duration_ms)} ms` },
    ],
  });
  status.addEventListener("change", () => table.first());
  mount(container, h("h1", {}, t("menu./testing/runs")), h("div", { class: "filters" }, status), table.element);
  await table.first();
}

// Personal access tokens: the token shows once, with a copy button.
export async function tokens(container, { profile }) {
  document.title = `${t("testing.tokens")} · ${t("app.title")}`;
  const table = dataTable({
    label: t("testing.tokens"),
    load: (page, size) => api.get(`/auth/tokens${api.query({ page, page_size: size })}`),
    columns: [
      { key: "name", title: t("testing.name") },
      { key: "prefix", title: t("testing.prefix"), render: (token) => h("code", {}, `${token.prefix}…`) },
      { key: "permissions", title: t("testing.permissions"), sortable: false, render: (token) => token.permissions.join(", ") },
      { key: "expires_at", title: t("testing.expires"), render: (token) => formatDate(token.expires_at) },
      { key: "last_used_at", title: t("testing.lastUsed"), render: (token) => formatDate(token.last_used_at) },
      { key: "actions", title: t("common.actions"), sortable: false, render: (token) => token.revoked_at ? t("testing.revoked")
        : h("button", { type: "button", class: "danger", onclick: () => revoke(token) }, t("testing.revoke")) },
    ],
  });
  async function revoke(token) {
    if (!(await confirmAction(t("testing.confirmRevoke", { name: token.name })))) return;
    await api.del(`/auth/tokens/${token.id}`);
    table.reload();
  }
  async function create() {
    const granted = profile.user.is_superuser ? null : new Set(profile.permissions);
    const name = field("name", t("testing.name"), { required: true });
    const boxes = ["project:read", "testrun:read", "testrun:execute", "report:read", "testcase:read", "endpoint:import"]
      .filter((code) => !granted || granted.has(code))
      .map((code) => h("input", { type: "checkbox", id: `token-${code}`, value: code, checked: code !== "endpoint:import" }));
    const permissions = { name: "permissions", input: boxes[0], error: h("span", { class: "field-error" }),
      element: h("fieldset", { class: "field checks" }, h("legend", {}, t("testing.permissions")), boxes.map((box) => h("label", { for: box.id, class: "check" }, box, box.value))) };
    const created = await formDialog(t("testing.newToken"), [name, permissions], () =>
      api.post("/auth/tokens", { name: name.input.value, permissions: boxes.filter((box) => box.checked).map((box) => box.value) }));
    if (!created) return;
    table.reload();
    const secret = h("code", { class: "token-secret" }, created.token);
    await dialog(t("testing.tokenCreated"), h("div", {}, h("p", {}, t("testing.tokenOnce")), h("p", {}, secret),
      h("button", { type: "button", onclick: () => copyText(created.token) }, t("testing.copy"))), [{ label: t("common.close"), value: true, class: "primary" }]);
  }
  mount(container, h("div", { class: "page-head" }, h("h1", {}, t("testing.tokens")), h("button", { type: "button", class: "primary", onclick: create }, t("testing.newToken"))),
    table.element);
  await table.first();
}
