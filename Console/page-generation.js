// AI test generation: a project's generations with the form that starts one (targets, model,
// count, kinds, the priority split as three linked sliders, verification environment,
// knowledge bases); a generation's progress live over its events, with cancel; and its review:
// traceability, coverage holes, each draft read-only with its verification evidence, and
// accepting all or some into a suite, then running them.
import * as api from "./api.js";
import { dialog, formatDate, formatNumber, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { renderMarkdown } from "./markdown.js";
import { knowledgeChoice } from "./page-knowledge.js";
import { linkHandler } from "./router.js";
import { addProjectLink } from "./testing-common.js";
import { dataTable } from "./table.js";
import { fieldMessage } from "./ui.js";

const KINDS = ["positive", "negative", "boundary", "auth", "security"];
const PRIORITIES = ["high", "medium", "low"];
const STAGES = ["analyse", "design", "review", "verify"];
const FINISHED = ["succeeded", "failed", "cancelled"];
const POLL_MS = 1000;

const link = (href, text) => h("a", { href, onclick: linkHandler }, text);
const badge = (status, prefix = "generation.status") => h("span", { class: `status status-${status}`, "data-status": status }, t(`${prefix}.${status}`));
const listOf = (path) => api.get(path).then((page) => page.items).catch(() => []);

// `/testing/generations`, then `/…/{project}` and `/…/{project}/{generation}`.
addProjectLink("generations", () => t("generation.title"), (projectID) => `/testing/generations/${projectID}`);

export function generations(container, context) {
  const [projectID, generationID] = context.path.split("/").slice(3);
  if (generationID) return generationPage(container, context, projectID, generationID);
  if (projectID) return projectGenerations(container, context, projectID);
  return projectPicker(container);
}

// The projects to pick from (their own pages belong to the API testing pages).
async function projectPicker(container) {
  const table = dataTable({
    label: t("generation.projects"),
    load: (page, size) => api.get(`/projects${api.query({ page, page_size: size })}`),
    columns: [
      { key: "name", title: t("models.name"), render: (project) => link(`/testing/generations/${project.id}`, project.name) },
      { key: "description", title: t("knowledge.description") },
    ],
  });
  mount(container, h("h1", {}, t("generation.title")), h("p", { class: "muted" }, t("generation.pickProject")), table.element);
  await table.first();
}

// Three sliders always totalling 100: moving one shares the rest between the other two in
// their current proportion.
export function prioritySliders(initial = { high: 30, medium: 50, low: 20 }) {
  const values = { ...initial };
  const outputs = {};
  const sliders = {};
  for (const name of PRIORITIES) {
    outputs[name] = h("output", { for: `priority-${name}` }, `${values[name]}%`);
    sliders[name] = h("input", { type: "range", id: `priority-${name}`, min: 0, max: 100, step: 1, value: values[name],
      oninput: () => move(name, Number(sliders[name].value)) });
  }
  function move(name, value) {
    const [first, second] = PRIORITIES.filter((other) => other !== name);
    const rest = 100 - value;
    const share = values[first] + values[second];
    values[name] = value;
    values[first] = share ? Math.round((rest * values[first]) / share) : Math.ceil(rest / 2);
    values[second] = rest - values[first];
    for (const key of PRIORITIES) { sliders[key].value = values[key]; outputs[key].textContent = `${values[key]}%`; }
  }
  return {
    values: () => ({ ...values }),
    element: h("fieldset", { class: "field sliders" }, h("legend", {}, t("generation.prioritySplit")),
      PRIORITIES.map((name) => h("div", { class: "slider" }, h("label", { for: `priority-${name}` }, t(`generation.priority.${name}`)), sliders[name], outputs[name]))),
  };
}

async function generationForm(projectID, navigate) {
  const [endpoints, imports, models, environments, knowledge] = await Promise.all([
    listOf(`/projects/${projectID}/endpoints?page_size=100`), listOf(`/projects/${projectID}/imports?page_size=50`),
    listOf("/models?page_size=100"), listOf(`/projects/${projectID}/environments?page_size=100`), knowledgeChoice("generation-knowledge")]);
  const endpointBoxes = endpoints.map((endpoint) => h("input", { type: "checkbox", id: `target-${endpoint.id}`, value: endpoint.id }));
  const importSelect = h("select", { id: "generation-import" }, h("option", { value: "" }, t("generation.noImport")),
    imports.map((item) => h("option", { value: item.id }, `${item.title || item.source_filename || item.format} · ${formatDate(item.created_at)}`)));
  const preview = h("div", { class: "message-body preview", "aria-live": "polite" });
  const requirement = h("textarea", { id: "generation-requirement", rows: 6, oninput: () => mount(preview, renderMarkdown(requirement.value)) });
  const model = h("select", { id: "generation-model" }, models.map((item) => h("option", { value: item.id }, item.name)));
  const count = h("input", { id: "generation-count", type: "number", min: 1, max: 100, value: 10 });
  const kindBoxes = KINDS.map((kind, index) => h("input", { type: "checkbox", id: `kind-${kind}`, value: kind, checked: index < 3 }));
  const split = prioritySliders();
  const environment = h("select", { id: "generation-environment" }, h("option", { value: "" }, t("generation.noVerification")),
    environments.map((item) => h("option", { value: item.id }, item.name)));
  const error = h("p", { class: "form-error", role: "alert" });
  const labelled = (id, label, control) => h("div", { class: "field" }, h("label", { for: id }, label), control);

  async function submit(event) {
    event.preventDefault();
    error.textContent = "";
    const body = {
      model_id: model.value, count: Number(count.value), priority_split: split.values(),
      kinds: kindBoxes.filter((box) => box.checked).map((box) => box.value),
      endpoint_ids: endpointBoxes.filter((box) => box.checked).map((box) => box.value),
      import_id: importSelect.value || undefined, requirement: requirement.value.trim() || undefined,
      environment_id: environment.value || undefined, knowledge_base_ids: knowledge ? knowledge.selected() : undefined,
    };
    try {
      const created = await api.post(`/projects/${projectID}/generations`, body);
      navigate(`/testing/generations/${projectID}/${created.id}`);
    } catch (failure) { error.textContent = fieldMessage(failure) || failure.message; }
  }

  return h("form", { class: "panel form generation-form", onsubmit: submit }, h("h2", {}, t("generation.new")),
    h("fieldset", { class: "field" }, h("legend", {}, t("generation.targets")),
      endpoints.length ? h("div", { class: "checks scroll" }, h("p", { class: "muted" }, t("generation.endpoints")),
        endpointBoxes.map((box, index) => h("label", { for: box.id, class: "check" }, box,
          h("code", {}, `${endpoints[index].method} ${endpoints[index].path}`), " ", endpoints[index].summary || ""))) : h("p", { class: "muted" }, t("generation.noEndpoints")),
      labelled("generation-import", t("generation.wholeImport"), importSelect),
      labelled("generation-requirement", t("generation.requirement"), requirement),
      h("div", {}, h("p", { class: "muted" }, t("generation.preview")), preview)),
    models.length ? labelled("generation-model", t("chat.model"), model) : h("p", { class: "form-error" }, t("chat.noTargets")),
    labelled("generation-count", t("generation.count"), count),
    h("fieldset", { class: "field checks" }, h("legend", {}, t("generation.kinds")),
      kindBoxes.map((box) => h("label", { for: box.id, class: "check" }, box, t(`generation.kind.${box.value}`)))),
    split.element,
    labelled("generation-environment", t("generation.environment"), environment),
    knowledge ? knowledge.field.element : null,
    error, h("div", { class: "dialog-buttons" }, h("button", { type: "submit", class: "primary", id: "generation-start" }, t("generation.start"))));
}

async function projectGenerations(container, { can, navigate }, projectID) {
  const project = await api.get(`/projects/${projectID}`);
  const formSlot = h("div", {});
  const table = dataTable({
    label: t("generation.title"),
    load: (page, size) => api.get(`/projects/${projectID}/generations${api.query({ page, page_size: size })}`),
    columns: [
      { key: "created_at", title: t("audit.time"), render: (item) => link(`/testing/generations/${projectID}/${item.id}`, formatDate(item.created_at)) },
      { key: "status", title: t("audit.status"), render: (item) => badge(item.status) },
      { key: "stage", title: t("generation.stage"), render: (item) => (item.stage ? t(`generation.stage.${item.stage}`) : "") },
      { key: "count", title: t("generation.count"), sortKey: (item) => item.request.count, render: (item) => item.request.count },
      { key: "usage", title: t("usage.tokens"), sortable: false, render: (item) => formatNumber(item.usage.input_tokens + item.usage.output_tokens) },
    ],
  });
  mount(container,
    h("div", { class: "page-head" }, h("h1", {}, t("generation.titleFor", { name: project.name })),
      can("testcase:generate") ? h("button", { type: "button", class: "primary", id: "generation-new",
        onclick: async () => mount(formSlot, await generationForm(projectID, navigate)) }, t("generation.new")) : null),
    formSlot, table.element);
  await table.first();
}

// A draft case, read-only: its steps and assertions, marks, and verification evidence. With
// `editable`, a button answers "edit": the draft is then opened in the case editor.
function caseView(draft, editable = false) {
  const pretty = (value) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));
  const assertionText = (item) => [item.type, item.name, item.path, item.op, item.equals ?? item.value ?? item.in ?? item.lt_ms].filter((part) => part !== undefined && part !== null).map(pretty).join(" ");
  const steps = (draft.definition.steps || []).map((step, index) => h("li", { class: "step" },
    h("strong", {}, step.name || t("generation.step", { number: index + 1 })),
    step.request ? h("p", {}, h("code", {}, `${step.request.method} ${step.request.url}`)) : null,
    step.request && step.request.headers ? h("pre", { class: "code" }, h("code", {}, pretty(step.request.headers))) : null,
    step.request && step.request.body ? h("pre", { class: "code" }, h("code", {}, pretty(step.request.body.json ?? step.request.body.raw ?? step.request.body))) : null,
    (step.assert || []).length ? h("ul", { class: "assertions" }, step.assert.map((item) => h("li", {}, assertionText(item)))) : null));
  const assertionResult = (item) => h("li", { class: item.passed ? "passed" : "failed" }, `${item.passed ? "✓" : "✗"} ${item.description}`,
    item.passed ? "" : ` (${t("generation.expected")}: ${item.expected ?? ""}, ${t("generation.actual")}: ${item.actual ?? ""})`);
  const stepResult = (step) => h("li", {},
    step.request ? h("code", {}, `${step.request.method} ${step.request.url}`) : step.name,
    step.response ? ` → ${step.response.status}` : "",
    step.error ? h("span", { class: "form-error" }, ` ${step.error.message || ""}`) : null,
    h("ul", {}, step.assertions.map(assertionResult)));
  const evidence = (draft.evidence || []).map((result, run) => h("li", { class: `evidence ${result.status}` },
    h("strong", {}, t("generation.attempt", { number: run + 1 })), " ", badge(result.status, "generation.result"), " ",
    h("span", { class: "muted" }, `${formatNumber(result.duration_ms, 1)} ms`), h("ul", {}, result.steps.map(stepResult))));
  return dialog(`${draft.ref} · ${draft.name}`, h("div", { class: "case-view", "data-case": draft.ref },
    h("p", { class: "muted" }, t("generation.readOnly")),
    h("p", {}, badge(draft.status, "generation.caseStatus"), " ", t(`generation.kind.${draft.kind}`), " · ", t(`generation.priority.${draft.priority}`),
      " · ", t("generation.testPoints"), ": ", draft.test_points.join(", ") || "–",
      draft.repair_rounds ? ` · ${t("generation.repairs", { count: draft.repair_rounds })}` : ""),
    draft.reason ? h("p", { class: "form-error" }, draft.reason) : null,
    h("h3", {}, t("generation.steps")), h("ol", { class: "steps" }, steps),
    h("h3", {}, t("generation.evidence")), evidence.length ? h("ol", { class: "steps" }, evidence) : h("p", { class: "muted" }, t("generation.noEvidence"))),
  [...(editable ? [{ label: t("generation.editInEditor"), value: "edit" }] : []), { label: t("common.close"), value: true, class: "primary" }]);
}

async function generationPage(container, { can, navigate }, projectID, generationID) {
  const base = `/projects/${projectID}/generations/${generationID}`;
  const state = { generation: await api.get(base), stages: {}, log: [] };
  const statusSlot = h("span", {});
  const cancel = h("button", { type: "button", class: "danger", id: "generation-cancel", onclick: cancelGeneration }, t("generation.cancel"));
  const stageList = h("ol", { class: "stages", "aria-label": t("generation.progress") });
  const log = h("ul", { class: "tail generation-log", "aria-live": "polite" });
  const review = h("div", {});
  const runSlot = h("div", {});
  const controller = new AbortController();

  // Where each stage stands, from the generation itself (the snapshot) or from its events.
  function stagesFrom(current) {
    const reached = STAGES.indexOf(current.stage);
    for (const [index, stage] of STAGES.entries()) {
      if (current.status === "succeeded") state.stages[stage] ??= { status: stage === "verify" && !current.request.environment_id ? "skipped" : "finished" };
      else if (index < reached) state.stages[stage] ??= { status: "finished" };
      else if (index === reached) state.stages[stage] = { status: current.status === "running" ? "running" : current.status === "failed" ? "failed" : "stopped" };
      else state.stages[stage] ??= { status: "pending" };
    }
  }

  function drawProgress() {
    const current = state.generation;
    mount(statusSlot, badge(current.status), current.stage && !FINISHED.includes(current.status) ? ` · ${t(`generation.stage.${current.stage}`)}` : "");
    cancel.hidden = FINISHED.includes(current.status) || !can("testcase:generate");
    mount(stageList, STAGES.map((stage) => {
      const entry = state.stages[stage] || { status: "pending" };
      const counts = Object.entries(entry.counts || {}).map(([key, value]) => `${t(`generation.count.${key}`)} ${value}`).join(", ");
      return h("li", { "data-stage": stage, "data-stage-status": entry.status }, h("strong", {}, t(`generation.stage.${stage}`)), " ",
        badge(entry.status, "generation.stageStatus"), counts ? h("span", { class: "muted" }, ` ${counts}`) : null);
    }));
    mount(log, state.log.slice(-30).map((line) => h("li", {}, line)));
    if (current.error) log.append(h("li", { class: "level-error" }, current.error));
  }

  function onEvent(name, data) {
    if (!container.isConnected) return controller.abort();
    if (name === "snapshot" || name === "generation_finished") {
      state.generation = data;
      stagesFrom(data);
      if (name === "generation_finished") loadReview();
    } else if (name === "generation_started") state.generation.status = "running";
    else if (name === "stage_started") { state.generation.stage = data.stage; state.stages[data.stage] = { status: "running" }; }
    else if (name === "stage_finished") {
      const { stage, seq, ...counts } = data;
      state.stages[stage] = { status: "finished", counts };
    } else if (name === "case_designed") state.log.push(t("generation.event.designed", data));
    else if (name === "case_rejected") state.log.push(t("generation.event.rejected", data));
    else if (name === "case_verified") state.log.push(t("generation.event.verified", { ...data, status: t(`generation.caseStatus.${data.status}`) }));
    drawProgress();
  }

  async function cancelGeneration() {
    try {
      state.generation = await api.post(`${base}/cancel`);
      stagesFrom(state.generation);
      drawProgress();
    } catch (error) { toast(error.message, "error"); }
  }

  async function loadReview() {
    const drafts = (await api.get(`${base}/cases?page_size=100`)).items;
    mount(review, reviewPanel(state.generation, drafts));
  }

  function reviewPanel(current, drafts) {
    const byRef = new Map(drafts.map((draft) => [draft.ref, draft]));
    const outcome = current.review;
    const acceptable = (draft) => draft.status !== "rejected" && !draft.accepted_case_id && current.status === "succeeded";
    // Read-only until edited: editing accepts the draft (once) and opens the case it became.
    async function open(draft) {
      const editable = can("testcase:update") && (draft.accepted_case_id || (acceptable(draft) && can("testcase:create")));
      if ((await caseView(draft, editable)) !== "edit") return;
      try {
        const caseID = draft.accepted_case_id || (await api.post(`${base}/accept`, { case_ids: [draft.id] })).cases[0].id;
        navigate(`/testing/projects/${projectID}/cases/${caseID}`);
      } catch (error) { toast(error.message, "error"); }
    }
    const caseLink = (ref) => (byRef.has(ref) ? h("button", { type: "button", class: "link", onclick: () => open(byRef.get(ref)) }, ref) : ref);
    const boxes = new Map(drafts.filter(acceptable).map((draft) => [draft.id, h("input", { type: "checkbox", id: `accept-${draft.ref}`, value: draft.id, "aria-label": t("generation.select", { ref: draft.ref }) })]));
    return h("div", {},
      outcome ? h("section", { class: "panel" }, h("h2", {}, t("generation.traceability")),
        h("p", { class: "muted" }, t("generation.scores", { coverage: outcome.scores.coverage, clarity: outcome.scores.clarity, duplicates: outcome.duplicates_removed })),
        h("table", { class: "data", id: "traceability", "aria-label": t("generation.traceability") },
          h("thead", {}, h("tr", {}, [t("generation.source"), t("generation.testPoints"), t("generation.cases")].map((title) => h("th", { scope: "col" }, title)))),
          h("tbody", {}, outcome.traceability.map((row) => h("tr", {}, h("td", {}, row.source), h("td", {}, row.test_points.join(", ")),
            h("td", {}, row.cases.length ? row.cases.flatMap((ref, index) => (index ? [", ", caseLink(ref)] : [caseLink(ref)])) : h("span", { class: "form-error" }, t("generation.uncovered"))))))),
        h("h3", {}, t("generation.holes")),
        outcome.holes.length ? h("ul", { id: "holes" }, outcome.holes.map((hole) => h("li", {}, hole))) : h("p", { class: "muted" }, t("generation.noHoles"))) : null,
      h("section", { class: "panel" }, h("h2", {}, t("generation.drafts")),
        h("table", { class: "data", id: "drafts", "aria-label": t("generation.drafts") },
          h("thead", {}, h("tr", {}, [t("generation.acceptColumn"), t("generation.ref"), t("models.name"), t("agents.type"), t("generation.prioritySplit"), t("audit.status"), t("common.actions")].map((title) => h("th", { scope: "col" }, title)))),
          h("tbody", {}, drafts.map((draft) => h("tr", { "data-ref": draft.ref },
            h("td", {}, boxes.get(draft.id) || (draft.accepted_case_id ? t("generation.accepted") : "")),
            h("td", {}, draft.ref), h("td", {}, draft.name), h("td", {}, t(`generation.kind.${draft.kind}`)), h("td", {}, t(`generation.priority.${draft.priority}`)),
            h("td", {}, badge(draft.status, "generation.caseStatus"), draft.reason ? h("div", { class: "muted small" }, draft.reason) : null),
            h("td", {}, h("button", { type: "button", onclick: () => open(draft) }, t("generation.view"))))))),
        boxes.size && can("testcase:create") ? acceptForm(boxes) : null));
  }

  function acceptForm(boxes) {
    const suite = h("select", { id: "accept-suite" }, h("option", { value: "" }, t("generation.noSuite")), h("option", { value: "new" }, t("generation.newSuite")));
    const suiteName = h("input", { id: "accept-suite-name", value: t("generation.suiteName"), "aria-label": t("generation.suiteNameLabel"), hidden: true });
    suite.addEventListener("change", () => { suiteName.hidden = suite.value !== "new"; });
    listOf(`/projects/${projectID}/suites?page_size=100`).then((suites) => suite.append(...suites.map((item) => h("option", { value: item.id }, item.name))));
    const accept = async (ids) => {
      try {
        let suiteID = suite.value || undefined;
        if (suiteID === "new") suiteID = (await api.post(`/projects/${projectID}/suites`, { name: suiteName.value })).id;
        const accepted = await api.post(`${base}/accept`, { case_ids: ids, suite_id: suiteID });
        toast(t("generation.acceptedCount", { count: accepted.cases.length }), "success");
        await loadReview();
        mount(runSlot, runForm(accepted.cases.map((item) => item.id)));
      } catch (error) { toast(fieldMessage(error) || error.message, "error"); }
    };
    return h("div", { class: "filters accept" },
      h("label", { for: "accept-suite" }, t("generation.intoSuite")), suite, suiteName,
      h("button", { type: "button", id: "accept-selected", class: "primary", onclick: () => {
        const ids = [...boxes.values()].filter((box) => box.checked).map((box) => box.value);
        if (ids.length) accept(ids); else toast(t("generation.selectSome"), "error");
      } }, t("generation.acceptSelected")),
      h("button", { type: "button", id: "accept-all", onclick: () => accept(undefined) }, t("generation.acceptAll")));
  }

  // Runs the accepted cases and follows the run until it ends.
  function runForm(caseIDs) {
    const environment = h("select", { id: "run-environment", "aria-label": t("generation.environment") });
    listOf(`/projects/${projectID}/environments?page_size=100`).then((items) => {
      environment.append(...items.map((item) => h("option", { value: item.id, selected: item.id === state.generation.request.environment_id }, item.name)));
    });
    const result = h("div", { id: "run-result", "aria-live": "polite" });
    const start = async () => {
      try {
        let run = await api.post("/runs", { project_id: projectID, environment_id: environment.value, case_ids: caseIDs });
        while (["queued", "running"].includes(run.status) && container.isConnected) {
          mount(result, badge(run.status, "generation.run"));
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
          run = (await api.get(`/runs/${run.id}`)).run;
        }
        const results = (await api.get(`/runs/${run.id}/results?page_size=100`)).items;
        mount(result, h("p", {}, badge(run.status, "generation.run")),
          h("ul", {}, results.map((item) => h("li", {}, `${item.case_name}: `, badge(item.status, "generation.result")))));
      } catch (error) { mount(result, h("p", { class: "form-error", role: "alert" }, error.message)); }
    };
    return h("div", { class: "panel" }, h("h3", {}, t("generation.runAccepted", { count: caseIDs.length })),
      can("testrun:create") ? h("div", { class: "filters" }, environment, h("button", { type: "button", class: "primary", id: "run-accepted", onclick: start }, t("generation.run"))) : null,
      result);
  }

  const request = state.generation.request;
  mount(container,
    h("p", {}, link(`/testing/generations/${projectID}`, `← ${t("generation.title")}`)),
    h("div", { class: "page-head" }, h("h1", {}, t("generation.detail", { date: formatDate(state.generation.created_at) })), statusSlot, cancel),
    h("p", { class: "muted" }, t("generation.summary", { count: request.count, kinds: request.kinds.map((kind) => t(`generation.kind.${kind}`)).join(", "),
      high: request.priority_split.high, medium: request.priority_split.medium, low: request.priority_split.low })),
    h("section", { class: "panel" }, h("h2", {}, t("generation.progress")), stageList, log),
    review, runSlot);
  stagesFrom(state.generation);
  drawProgress();
  if (FINISHED.includes(state.generation.status)) await loadReview();
  else api.follow(`${base}/events`, onEvent, controller.signal).catch((error) => { if (!controller.signal.aborted) toast(error.message, "error"); });
}
