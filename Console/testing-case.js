// The case editor: ordered steps (method and URL with {{variable}} completion, headers,
// query, body — JSON checked against the linked endpoint's schema, form, multipart or raw —,
// auth override, extractions, assertions of every type and operator, soft toggles), data
// rows (a table, or a CSV upload), "send this step" against an environment with a JSONPath
// tester on the response, and a guard against leaving with unsaved changes.
import * as api from "./api.js";
import { h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { allItems, copyText, jsonView, parseJSON, pretty, projectFrame, sendText, valueAt } from "./testing-common.js";
import { authEditor, pairRows } from "./testing-environment.js";
import { fieldMessage } from "./ui.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const ASSERTION_TYPES = ["status", "header", "json", "body", "schema", "response_time"];
const OPERATORS = ["eq", "ne", "gt", "gte", "lt", "lte", "contains", "not_contains", "matches", "exists", "not_exists", "type", "length", "in"];
const SOURCES = ["json", "header", "cookie", "status", "body"];
let editorSeq = 0;

const select = (props, values, current, label = (value) => value) => h("select", props, values.map((value) => h("option", { value, selected: value === current }, label(value))));

// The value typed in an assertion: JSON when it parses, else the text itself.
function typedValue(text) {
  if (text === "") return undefined;
  const parsed = parseJSON(text);
  return parsed.error ? text : parsed.value;
}
const shownValue = (value) => value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);

// The first way `value` breaks a JSON schema (types, required properties, enums; nested objects and arrays).
export function schemaProblem(value, schema, path = "") {
  if (!schema || typeof schema !== "object") return null;
  const types = [].concat(schema.type || []);
  const kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "number" && Number.isInteger(value) ? "integer" : typeof value;
  if (types.length && !types.includes(kind) && !(kind === "integer" && types.includes("number"))) return t("testing.schemaType", { path: path || "/", expected: types.join("|"), actual: kind });
  if (schema.enum && !schema.enum.some((item) => JSON.stringify(item) === JSON.stringify(value))) return t("testing.schemaEnum", { path: path || "/" });
  if (kind === "object") {
    for (const name of schema.required || []) if (!(name in value)) return t("testing.schemaRequired", { path: `${path}/${name}` });
    for (const [name, child] of Object.entries(schema.properties || {})) if (name in value) {
      const problem = schemaProblem(value[name], child, `${path}/${name}`);
      if (problem) return problem;
    }
  }
  if (kind === "array" && schema.items) for (const [index, item] of value.entries()) {
    const problem = schemaProblem(item, schema.items, `${path}/${index}`);
    if (problem) return problem;
  }
  return null;
}

// The request body schema of an endpoint as the importer stores it (OpenAPI `content` or a bare schema).
function bodySchema(endpoint) {
  const body = endpoint && endpoint.request_body;
  if (!body || typeof body !== "object") return null;
  const content = body.content && (body.content["application/json"] || Object.values(body.content)[0]);
  return (content && content.schema) || body.schema || (body.type ? body : null);
}

// `{{` followed by a partial name before the caret offers the variables that start with it.
function withCompletion(input, names) {
  const list = h("ul", { class: "suggestions", role: "listbox", hidden: true });
  input.setAttribute("autocomplete", "off");
  function update() {
    const before = input.value.slice(0, input.selectionStart);
    const match = before.match(/\{\{\s*([\w.$-]*)$/);
    const matches = match ? names().filter((name) => name.startsWith(match[1])).slice(0, 8) : [];
    list.hidden = !matches.length;
    mount(list, matches.map((name) => h("li", { role: "option" }, h("button", { type: "button", class: "link", onmousedown: (event) => {
      event.preventDefault();
      const start = before.length - match[1].length;
      input.value = `${input.value.slice(0, start)}${name}}}${input.value.slice(input.selectionStart).replace(/^\}\}/, "")}`;
      input.dispatchEvent(new Event("input"));
      list.hidden = true;
    } }, name))));
  }
  input.addEventListener("input", update);
  input.addEventListener("keyup", update);
  input.addEventListener("blur", () => { list.hidden = true; });
  return h("span", { class: "completion" }, input, list);
}

function extractionRow(extraction, remove) {
  const variable = h("input", { "aria-label": t("testing.extract.var"), value: extraction.var || "", class: "extract-var" });
  const from = select({ "aria-label": t("testing.extract.from") }, SOURCES, extraction.from || "json", (value) => t(`testing.source.${value}`));
  const where = h("input", { "aria-label": t("testing.extract.where"), value: extraction.path || extraction.name || "", class: "extract-path" });
  const regex = h("input", { "aria-label": t("testing.extract.regex"), value: extraction.regex || "", placeholder: t("testing.extract.regex") });
  const secret = h("input", { type: "checkbox", "aria-label": t("testing.secret"), checked: extraction.secret });
  const element = h("tr", { class: "extraction" }, h("td", {}, variable), h("td", {}, from), h("td", {}, where), h("td", {}, regex), h("td", {}, secret),
    h("td", {}, h("button", { type: "button", class: "danger", "aria-label": t("common.delete"), onclick: () => remove(row) }, "×")));
  const row = {
    element,
    value: () => {
      const result = { var: variable.value, from: from.value, secret: secret.checked || undefined };
      if (from.value === "json") result.path = where.value || "$";
      if (from.value === "header" || from.value === "cookie") result.name = where.value;
      if (regex.value) result.regex = regex.value;
      return result;
    },
  };
  return row;
}

function assertionRow(assertion, remove) {
  const type = select({ "aria-label": t("testing.assert.type"), class: "assert-type" }, ASSERTION_TYPES, assertion.type || "status", (value) => t(`testing.assertType.${value}`));
  const target = h("input", { "aria-label": t("testing.assert.target"), class: "assert-target", value: assertion.path || assertion.name || "" });
  const statusOps = ["eq", "in", "class"];
  const op = select({ "aria-label": t("testing.assert.op"), class: "assert-op" }, [...OPERATORS, "class"],
    assertion.type === "status" ? (assertion.in ? "in" : assertion.class ? "class" : "eq") : assertion.op || "eq", (value) => t(`testing.op.${value}`));
  const initial = assertion.type === "status" ? assertion.in ?? assertion.class ?? assertion.equals : assertion.type === "response_time" ? assertion.lt_ms : assertion.type === "schema" ? assertion.schema : assertion.value;
  const value = h("input", { "aria-label": t("testing.assert.value"), class: "assert-value", value: shownValue(initial) });
  const soft = h("input", { type: "checkbox", "aria-label": t("testing.soft"), class: "assert-soft", checked: assertion.soft });
  function shape() {
    target.disabled = !["header", "json"].includes(type.value);
    op.disabled = ["schema", "response_time"].includes(type.value);
    for (const option of op.options) option.hidden = type.value === "status" ? !statusOps.includes(option.value) : option.value === "class";
  }
  type.addEventListener("change", shape);
  shape();
  const element = h("tr", { class: "assertion" }, h("td", {}, type), h("td", {}, target), h("td", {}, op), h("td", {}, value), h("td", {}, soft),
    h("td", {}, h("button", { type: "button", class: "danger", "aria-label": t("common.delete"), onclick: () => remove(row) }, "×")));
  const row = {
    element,
    value: () => {
      const result = { type: type.value, soft: soft.checked || undefined };
      const typed = typedValue(value.value);
      if (type.value === "status") {
        if (op.value === "in") result.in = [].concat(typed ?? []);
        else if (op.value === "class") result.class = String(typed ?? "2xx");
        else result.equals = Number(typed);
      } else if (type.value === "response_time") result.lt_ms = Number(typed);
      else if (type.value === "schema") { if (typed !== undefined) result.schema = typed; }
      else {
        if (type.value === "json") result.path = target.value || "$";
        if (type.value === "header") result.name = target.value;
        result.op = op.value;
        if (!["exists", "not_exists"].includes(op.value) && typed !== undefined) result.value = typed;
      }
      return result;
    },
  };
  return row;
}

// A table of rows built by `make`, with an add button; `rows()` answers their values.
function rowTable(className, headings, items, make) {
  const body = h("tbody", {});
  const rows = [];
  const remove = (row) => { rows.splice(rows.indexOf(row), 1); row.element.remove(); };
  const add = (item) => { const row = make(item, remove); rows.push(row); body.append(row.element); return row; };
  items.forEach(add);
  const element = h("table", { class: `rows ${className}` }, h("thead", {}, h("tr", {}, headings.map((title) => h("th", { scope: "col" }, title)))), body);
  return { element, add, values: () => rows.map((row) => row.value()) };
}

function bodyEditor(body, schema, idPrefix) {
  const kind = select({ id: `${idPrefix}-body-type`, "aria-label": t("testing.bodyType") }, ["none", "json", "form", "multipart", "raw"], body ? body.type : "none", (value) => t(`testing.body.${value}`));
  const json = h("textarea", { id: `${idPrefix}-json`, rows: 6, "aria-label": t("testing.body.json"), class: "code-input" }, body && body.type === "json" ? JSON.stringify(body.json, null, 2) : "");
  const problem = h("p", { class: "field-error", role: "status" });
  const form = pairRows(t("testing.body.form"), Object.entries((body && body.form) || {}).map(([name, value]) => ({ name, value })));
  const multipart = pairRows(t("testing.body.multipart"), ((body && body.multipart) || []).map((part) => ({ name: part.name, value: part.value })));
  const raw = h("textarea", { id: `${idPrefix}-raw`, rows: 6, "aria-label": t("testing.body.raw") }, (body && body.raw) || "");
  const contentType = h("input", { id: `${idPrefix}-ctype`, "aria-label": t("testing.contentType"), value: (body && body.content_type) || "", placeholder: "text/plain" });
  const box = h("div", {});
  function check() {
    if (!json.value.trim()) { problem.textContent = ""; return; }
    const parsed = parseJSON(json.value);
    problem.textContent = parsed.error ? t("testing.invalidJSON", { error: parsed.error }) : schemaProblem(parsed.value, schema) || "";
  }
  json.addEventListener("input", check);
  function draw() {
    const pieces = { none: [], json: [json, problem, schema ? h("p", { class: "muted small" }, t("testing.checkedAgainstSchema")) : null],
      form: [form.element], multipart: [multipart.element], raw: [h("label", { for: contentType.id, class: "field" }, t("testing.contentType"), contentType), raw] };
    mount(box, pieces[kind.value]);
    check();
  }
  kind.addEventListener("change", draw);
  draw();
  return {
    element: h("div", { class: "field" }, h("label", { for: kind.id }, t("testing.body")), kind, box),
    value: () => {
      switch (kind.value) {
        case "json": { const parsed = parseJSON(json.value || "null"); return { type: "json", json: parsed.error ? json.value : parsed.value }; }
        case "form": return { type: "form", form: form.object() };
        case "multipart": return { type: "multipart", multipart: Object.entries(multipart.object()).map(([name, value]) => ({ name, value })) };
        case "raw": return { type: "raw", raw: raw.value, content_type: contentType.value || null };
        default: return null;
      }
    },
  };
}

export async function caseEditor(container, { project, item, can }) {
  const [testCase, environments, endpoints] = await Promise.all([
    api.get(`/projects/${project.id}/cases/${item}`), allItems(`/projects/${project.id}/environments`), allItems(`/projects/${project.id}/endpoints`, 2000),
  ]);
  const editable = can("testcase:update");
  const execute = can("testrun:execute");
  let dirty = false;
  const markDirty = () => { dirty = true; status.textContent = t("testing.unsaved"); };
  const status = h("span", { class: "muted", id: "case-status", "aria-live": "polite" });
  const environmentVariables = () => {
    const environment = environments.find((item) => item.id === environmentChoice.value);
    return [...Object.keys(testCase.variables || {}), ...(environment ? environment.variables.map((variable) => variable.name) : []),
      ...(environment ? Object.keys(environment.base_urls).map((name) => name === "default" ? "base_url" : `base_url.${name}`) : []),
      ...(data.columns || []), ...stepEditors.flatMap((editor) => editor.extractedNames())];
  };
  const endpointOf = () => endpoints.find((endpoint) => endpoint.id === endpointChoice.value);

  const name = h("input", { id: "case-name", value: testCase.name, required: true });
  const priority = select({ id: "case-priority" }, ["p0", "p1", "p2", "p3"], testCase.priority);
  const tags = h("input", { id: "case-tags", value: testCase.tags.join(", ") });
  const endpointChoice = select({ id: "case-endpoint" }, ["", ...endpoints.map((endpoint) => endpoint.id)], testCase.endpoint_id || "",
    (id) => { const endpoint = endpoints.find((item) => item.id === id); return endpoint ? `${endpoint.method} ${endpoint.path}` : "—"; });
  const environmentChoice = select({ id: "case-environment", "aria-label": t("testing.sendWith") }, environments.map((environment) => environment.id), environments[0] && environments[0].id,
    (id) => environments.find((environment) => environment.id === id).name);
  const error = h("p", { class: "form-error", role: "alert" });

  // One step's editor; `tryResult` shows the last "send this step" answer under it.
  const stepEditors = [];
  const stepsBox = h("ol", { class: "case-steps" });
  function stepEditor(step) {
    const id = `step-${++editorSeq}`;
    const request = step.request;
    const stepName = h("input", { id: `${id}-name`, value: step.name, "aria-label": t("testing.stepName") });
    const other = request ? null : h("textarea", { id: `${id}-raw`, rows: 4, class: "code-input", "aria-label": t("testing.stepJSON") }, JSON.stringify({ wait: step.wait, set: step.set }, null, 2));
    const method = request ? select({ id: `${id}-method`, "aria-label": t("testing.method") }, METHODS, request.method) : null;
    const url = request ? h("input", { id: `${id}-url`, class: "step-url", value: request.url, "aria-label": t("testing.url") }) : null;
    const headers = pairRows(t("testing.headers"), Object.entries((request && request.headers) || {}).map(([key, value]) => ({ name: key, value })));
    const query = pairRows(t("testing.query"), Object.entries((request && request.query) || {}).map(([key, value]) => ({ name: key, value })));
    const body = bodyEditor(request && request.body, bodySchema(endpointOf()), id);
    const overrideAuth = h("input", { type: "checkbox", id: `${id}-auth-on`, checked: Boolean(request && request.auth) });
    const auth = authEditor((request && request.auth) || { type: "none" }, { idPrefix: `${id}-auth` });
    auth.element.hidden = !overrideAuth.checked;
    overrideAuth.addEventListener("change", () => { auth.element.hidden = !overrideAuth.checked; });
    const extractions = rowTable("extractions", [t("testing.extract.var"), t("testing.extract.from"), t("testing.extract.where"), t("testing.extract.regex"), t("testing.secret"), ""], step.extract || [], extractionRow);
    const assertions = rowTable("assertions", [t("testing.assert.type"), t("testing.assert.target"), t("testing.assert.op"), t("testing.assert.value"), t("testing.soft"), ""], step.assert || [], assertionRow);
    const tryResult = h("div", { class: "try-result", "aria-live": "polite" });
    const editor = { element: null, tryResult,
      extractedNames: () => extractions.values().map((extraction) => extraction.var).filter(Boolean),
      value: () => {
        if (!request) return { name: stepName.value, ...parseJSON(other.value).value };
        const result = { name: stepName.value, request: { method: method.value, url: url.value, headers: headers.object(), query: query.object() } };
        const bodyValue = body.value();
        if (bodyValue) result.request.body = bodyValue;
        if (overrideAuth.checked) result.request.auth = auth.value();
        const extract = extractions.values();
        const assert = assertions.values();
        if (extract.length) result.extract = extract;
        if (assert.length) result.assert = assert;
        return result;
      },
      addExtraction: (path) => { extractions.add({ from: "json", path, var: path.split(/[.[\]']/).filter(Boolean).pop() || "value" }).element.querySelector("input").focus(); markDirty(); },
      addAssertion: (path, value) => { assertions.add({ type: "json", path, op: "eq", value }); markDirty(); },
    };
    const move = (offset) => {
      const index = stepEditors.indexOf(editor);
      if (index + offset < 0 || index + offset >= stepEditors.length) return;
      stepEditors.splice(index, 1);
      stepEditors.splice(index + offset, 0, editor);
      mount(stepsBox, stepEditors.map((item) => item.element));
      markDirty();
    };
    const remove = () => { stepEditors.splice(stepEditors.indexOf(editor), 1); editor.element.remove(); markDirty(); };
    editor.element = h("li", { class: "panel case-step", "data-step": step.name },
      h("div", { class: "page-head" }, h("label", { for: stepName.id, class: "field grow" }, t("testing.stepName"), stepName),
        editable ? h("div", { class: "actions" },
          h("button", { type: "button", "aria-label": t("testing.moveUp"), onclick: () => move(-1) }, "↑"),
          h("button", { type: "button", "aria-label": t("testing.moveDown"), onclick: () => move(1) }, "↓"),
          h("button", { type: "button", class: "danger", onclick: remove }, t("testing.removeStep"))) : null),
      request ? [
        h("div", { class: "request-line" }, method, withCompletion(url, environmentVariables)),
        h("details", {}, h("summary", {}, t("testing.headersQuery")), headers.element, query.element),
        body.element,
        h("div", { class: "field" }, h("label", { for: overrideAuth.id, class: "check" }, overrideAuth, t("testing.authOverride")), auth.element),
        h("h3", {}, t("testing.extractions")), extractions.element,
        editable ? h("button", { type: "button", onclick: () => { extractions.add({ from: "json", path: "$" }); markDirty(); } }, t("testing.addExtraction")) : null,
        h("h3", {}, t("testing.assertions")), assertions.element,
        editable ? h("button", { type: "button", onclick: () => { assertions.add({ type: "status", equals: 200 }); markDirty(); } }, t("testing.addAssertion")) : null,
        execute ? h("div", { class: "actions send" }, h("button", { type: "button", class: "primary send-step", onclick: () => send(editor) }, t("testing.sendStep"))) : null,
        tryResult,
      ] : h("label", { for: other.id, class: "field" }, t("testing.stepJSON"), other));
    return editor;
  }

  // "Send this step" runs the step alone: the variables earlier steps would set are the case's
  // own, the first data row's, and what earlier sends extracted. The answer opens in the
  // JSONPath tester.
  const extractedSoFar = {};
  async function send(editor) {
    mount(editor.tryResult, h("p", { class: "muted" }, t("common.loading")));
    const firstRow = data.rows[0] ? Object.fromEntries(data.columns.map((column, index) => [column, data.rows[0][index]])) : {};
    try {
      const tried = await api.post(`/projects/${project.id}/steps/try`, { environment_id: environmentChoice.value, step: editor.value(),
        variables: { ...testCase.variables, ...firstRow, ...extractedSoFar }, endpoint_id: endpointChoice.value || null });
      Object.assign(extractedSoFar, tried.step.extracted);
      showTry(editor, tried);
    } catch (failure) { mount(editor.tryResult, h("p", { class: "form-error", role: "alert" }, fieldMessage(failure) || failure.message)); }
  }

  function showTry(editor, tried) {
    const step = tried.step;
    const response = step.response;
    const parsed = response ? parseJSON(response.body) : { error: "none" };
    const path = h("input", { class: "jsonpath-input", "aria-label": t("testing.jsonPath"), value: "$" });
    const found = h("code", { class: "jsonpath-value" });
    const evaluate = () => { const value = parsed.error ? undefined : valueAt(parsed.value, path.value); found.textContent = value === undefined ? t("testing.noMatch") : JSON.stringify(value); };
    path.addEventListener("input", evaluate);
    const pick = (picked) => { path.value = picked; evaluate(); };
    evaluate();
    mount(editor.tryResult, h("div", { class: `try ${tried.status}` },
      h("p", {}, h("span", { class: `status status-${tried.status}` }, t(`testing.status.${tried.status}`)), " ",
        response ? h("strong", { class: "response-status" }, `HTTP ${response.status}`) : null, " ",
        step.timings ? h("span", { class: "muted" }, `${Math.round(step.timings.total_ms)} ms`) : null,
        step.curl ? h("button", { type: "button", onclick: () => copyText(step.curl) }, t("testing.copyCurl")) : null),
      step.error ? h("p", { class: "form-error" }, `${step.error.kind}: ${step.error.message}`) : null,
      step.assertions.length ? h("ul", { class: "assertion-results" }, step.assertions.map((result) => h("li", { class: result.passed ? "ok" : "failed" },
        result.passed ? "✓ " : "✗ ", result.description, result.passed ? "" : ` — ${t("testing.expected")} ${result.expected ?? ""}, ${t("testing.actual")} ${result.actual ?? ""}`))) : null,
      Object.keys(step.extracted).length ? h("p", {}, t("testing.extracted"), " ", h("code", {}, JSON.stringify(step.extracted))) : null,
      response ? h("details", {}, h("summary", {}, t("testing.responseHeaders")), h("ul", {}, response.headers.map((header) => h("li", {}, h("code", {}, `${header.name}: ${header.value}`))))) : null,
      response && !parsed.error ? h("div", { class: "jsonpath" },
        h("h3", {}, t("testing.jsonPathTester")), h("p", { class: "muted small" }, t("testing.jsonPathHint")),
        h("div", { class: "actions" }, path, found,
          editable ? h("button", { type: "button", class: "add-extraction", onclick: () => editor.addExtraction(path.value) }, t("testing.toExtraction")) : null,
          editable ? h("button", { type: "button", class: "add-assertion", onclick: () => editor.addAssertion(path.value, valueAt(parsed.value, path.value)) }, t("testing.toAssertion")) : null),
        h("div", { class: "response-body" }, jsonView(parsed.value, pick)))
        : response ? h("pre", { class: "code response-body" }, h("code", {}, pretty(response.body))) : null));
  }

  // Data rows: one iteration per row.
  const data = testCase.data ? { columns: [...testCase.data.columns], rows: testCase.data.rows.map((row) => [...row]) } : { columns: [], rows: [] };
  const dataBox = h("div", { class: "data-rows" });
  function drawData() {
    const cell = (row, index) => h("input", { "aria-label": `${data.columns[index]} ${data.rows.indexOf(row) + 1}`, value: shownValue(row[index]),
      oninput: (event) => { row[index] = typedValue(event.target.value) ?? ""; markDirty(); } });
    mount(dataBox, data.columns.length ? h("table", { class: "rows" },
      h("thead", {}, h("tr", {}, data.columns.map((column, index) => h("th", { scope: "col" }, h("input", { "aria-label": t("testing.column"), value: column,
        oninput: (event) => { data.columns[index] = event.target.value; markDirty(); } }))), h("th", {}, ""))),
      h("tbody", {}, data.rows.map((row) => h("tr", {}, data.columns.map((_, index) => h("td", {}, cell(row, index))),
        h("td", {}, h("button", { type: "button", class: "danger", "aria-label": t("common.delete"), onclick: () => { data.rows.splice(data.rows.indexOf(row), 1); drawData(); markDirty(); } }, "×"))))))
      : h("p", { class: "muted" }, t("testing.noData")));
  }
  const csv = h("input", { type: "file", id: "case-csv", accept: ".csv,text/csv" });
  csv.addEventListener("change", async () => {
    if (!csv.files[0]) return;
    try {
      const updated = await sendText("POST", `/projects/${project.id}/cases/${testCase.id}/data`, await csv.files[0].text(), "text/csv");
      data.columns = [...updated.data.columns];
      data.rows = updated.data.rows.map((row) => [...row]);
      drawData();
      toast(t("testing.csvLoaded", { rows: data.rows.length }), "success");
    } catch (failure) { toast(fieldMessage(failure) || failure.message, "error"); }
  });

  async function save() {
    error.textContent = "";
    const body = { name: name.value, priority: priority.value, tags: tags.value.split(",").map((tag) => tag.trim()).filter(Boolean),
      endpoint_id: endpointChoice.value || null, steps: stepEditors.map((editor) => editor.value()),
      data: data.columns.length ? data : null };
    try {
      await api.put(`/projects/${project.id}/cases/${testCase.id}`, body);
      dirty = false;
      status.textContent = t("common.saved");
      toast(t("common.saved"), "success");
    } catch (failure) { error.textContent = fieldMessage(failure) || failure.message; }
  }

  // Leaving with unsaved changes asks first: links inside the console, and the browser's own.
  const guard = (event) => {
    if (!container.isConnected) { document.removeEventListener("click", guard, true); window.removeEventListener("beforeunload", unload); return; }
    const anchor = event.target.closest && event.target.closest("a[href^='/']");
    if (dirty && anchor && !window.confirm(t("testing.leaveUnsaved"))) { event.preventDefault(); event.stopImmediatePropagation(); }
  };
  const unload = (event) => { if (dirty && container.isConnected) event.preventDefault(); };
  document.addEventListener("click", guard, true);
  window.addEventListener("beforeunload", unload);

  const label = (control, text) => h("label", { for: control.id, class: "field" }, text, control);
  const addStep = () => { const editor = stepEditor({ name: t("testing.newStepName", { n: stepEditors.length + 1 }), request: { method: "GET", url: "{{base_url}}/" } }); stepEditors.push(editor); stepsBox.append(editor.element); markDirty(); };
  projectFrame(container, project, "cases",
    h("div", { class: "page-head sticky" }, h("h2", {}, testCase.name), h("div", { class: "actions" }, status,
      environments.length ? label(environmentChoice, t("testing.sendWith")) : h("span", { class: "muted" }, t("testing.noEnvironments")),
      editable ? h("button", { type: "button", class: "primary", id: "case-save", onclick: save }, t("common.save")) : null)),
    testCase.flagged ? h("p", { class: "form-error" }, t("testing.flaggedBecause", { reason: testCase.flag_reason || "" })) : null,
    error,
    h("div", { class: "panel grid-form", oninput: markDirty, onchange: markDirty },
      label(name, t("testing.name")), label(priority, t("testing.priority")), label(tags, t("testing.tags")), label(endpointChoice, t("testing.endpoint"))),
    h("h2", {}, t("testing.steps")),
    // The JSONPath tester's input is no change to the case.
    h("div", { oninput: (event) => { if (!event.target.closest(".try-result")) markDirty(); }, onchange: (event) => { if (!event.target.closest(".try-result")) markDirty(); } }, stepsBox),
    editable ? h("button", { type: "button", onclick: addStep }, t("testing.addStep")) : null,
    h("section", { class: "panel" }, h("h2", {}, t("testing.dataRows")), dataBox,
      editable ? h("div", { class: "actions" },
        h("button", { type: "button", onclick: () => { const column = `col${data.columns.length + 1}`; data.columns.push(column); data.rows.forEach((row) => row.push("")); drawData(); markDirty(); } }, t("testing.addColumn")),
        h("button", { type: "button", disabled: !data.columns.length, onclick: () => { data.rows.push(data.columns.map(() => "")); drawData(); markDirty(); } }, t("testing.addDataRow")),
        h("label", { for: csv.id }, t("testing.uploadCSV")), csv) : null));
  for (const step of testCase.steps) { const editor = stepEditor(step); stepEditors.push(editor); }
  mount(stepsBox, stepEditors.map((editor) => editor.element));
  drawData();
  dirty = false;
  status.textContent = "";
  if (!editable) {
    for (const control of container.querySelectorAll(".case-steps input, .case-steps select, .case-steps textarea, .case-steps button, .grid-form input, .grid-form select, .data-rows input, .data-rows button")) control.disabled = true;
  }
}
