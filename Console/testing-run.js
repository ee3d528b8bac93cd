// Runs: starting one, the project's runs, the run page (live progress over the run's events,
// cancel, a virtualised list of case iterations that stays fluid with thousands, each
// iteration's step evidence with copy-as-curl, filters, downloads, comparison with another
// run) and the trends (pass rate, duration, flaky cases, p95 per endpoint) as inline SVG.
import * as api from "./api.js";
import { dialog, formatDate, formatNumber, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { allItems, copyText, emptyNote, link, pretty, projectFrame, projectPath, statusBadge } from "./testing-common.js";
import { fieldMessage } from "./ui.js";

const FINISHED = ["passed", "failed", "error", "cancelled"];
const ROW_HEIGHT = 34;

// Asks for the environment (and suite), starts the run and opens its page.
export async function startRun({ project, environments, suite, navigate }) {
  const suites = suite ? [suite] : await allItems(`/projects/${project.id}/suites`);
  if (!environments.length) { toast(t("testing.noEnvironments"), "error"); return; }
  const environment = h("select", { id: "run-environment" }, environments.map((item) => h("option", { value: item.id }, item.name)));
  const suiteChoice = h("select", { id: "run-suite" }, suites.map((item) => h("option", { value: item.id }, item.name)));
  const error = h("p", { class: "form-error", role: "alert" });
  const choice = await dialog(t("testing.startRun"), h("div", { class: "form" },
    h("label", { for: suiteChoice.id, class: "field" }, t("testing.suite"), suiteChoice),
    h("label", { for: environment.id, class: "field" }, t("testing.environment"), environment), error),
  [{ label: t("common.cancel"), value: false }, { label: t("testing.run"), value: true, class: "primary" }]);
  if (!choice) return;
  try {
    const run = await api.post("/runs", { project_id: project.id, environment_id: environment.value, suite_id: suiteChoice.value });
    navigate(`/testing/runs/${run.id}`);
  } catch (failure) { toast(fieldMessage(failure) || failure.message, "error"); }
}

export async function runsTab(container, { project, can, navigate }) {
  const [runs, environments] = await Promise.all([api.get(`/runs${api.query({ project_id: project.id, page_size: 50 })}`), allItems(`/projects/${project.id}/environments`)]);
  projectFrame(container, project, "runs",
    h("div", { class: "page-head" }, link(projectPath(project.id, "trends"), t("testing.trends")),
      can("testrun:execute") ? h("button", { type: "button", class: "primary", onclick: () => startRun({ project, environments, navigate }) }, t("testing.startRun")) : null),
    h("div", { class: "table-wrap" }, h("table", { class: "data", "aria-label": t("testing.tab.runs") },
      h("thead", {}, h("tr", {}, [t("audit.time"), t("audit.status"), t("testing.tab.cases"), t("testing.duration")].map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, runs.items.length ? runs.items.map((run) => h("tr", {},
        h("td", {}, link(`/testing/runs/${run.id}`, formatDate(run.created_at))), h("td", {}, statusBadge(run.status)),
        h("td", {}, run.planned_cases ?? ""), h("td", {}, run.duration_ms == null ? "" : `${formatNumber(run.duration_ms)} ms`)))
        : h("tr", {}, h("td", { colspan: 4, class: "empty" }, t("table.empty")))))));
}

// Only the rows in view (and a few around) exist in the page; the rest is a spacer.
function virtualList({ label, render }) {
  const spacer = h("div", { class: "virtual-spacer" });
  const viewport = h("div", { class: "virtual", role: "list", "aria-label": label, tabindex: "0" }, spacer);
  let items = [];
  let frame = 0;
  function draw() {
    frame = 0;
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - 5);
    const last = Math.min(items.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_HEIGHT) + 5);
    const rows = [];
    for (let index = first; index < last; index++) {
      const row = render(items[index], index);
      row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      rows.push(row);
    }
    spacer.style.height = `${items.length * ROW_HEIGHT}px`;
    spacer.replaceChildren(...rows);
  }
  const schedule = () => { if (!frame) frame = requestAnimationFrame(draw); };
  viewport.addEventListener("scroll", schedule);
  return { element: viewport, set: (next) => { items = next; draw(); }, redraw: schedule };
}

function stepEvidence(step) {
  const request = step.request;
  const response = step.response;
  return h("section", { class: `panel evidence ${step.passed ? "ok" : "failed"}`, "data-step": step.name },
    h("div", { class: "page-head" }, h("h3", {}, step.passed ? "✓ " : "✗ ", step.name),
      step.curl ? h("button", { type: "button", class: "copy-curl", onclick: () => copyText(step.curl) }, t("testing.copyCurl")) : null),
    step.error ? h("p", { class: "form-error" }, `${step.error.kind}: ${step.error.message}`) : null,
    request ? h("details", { open: !step.passed }, h("summary", {}, t("testing.request"), " ", h("code", {}, `${request.method} ${request.url}`)),
      h("ul", { class: "headers" }, request.headers.map((header) => h("li", {}, h("code", {}, `${header.name}: ${header.value}`)))),
      request.body ? h("pre", { class: "code" }, h("code", {}, pretty(request.body))) : null) : null,
    response ? h("details", { open: !step.passed }, h("summary", {}, t("testing.response"), " ", h("strong", {}, `HTTP ${response.status}`),
      step.timings ? h("span", { class: "muted" }, ` · ${formatNumber(step.timings.total_ms, 1)} ms`) : null, response.truncated ? ` · ${t("testing.truncated")}` : ""),
      h("ul", { class: "headers" }, response.headers.map((header) => h("li", {}, h("code", {}, `${header.name}: ${header.value}`)))),
      h("pre", { class: "code response-body" }, h("code", {}, pretty(response.body)))) : null,
    step.assertions.length ? h("table", { class: "data assertion-table" },
      h("thead", {}, h("tr", {}, ["", t("testing.assertions"), t("testing.expected"), t("testing.actual")].map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, step.assertions.map((result) => h("tr", { class: result.passed ? "ok" : "failed" },
        h("td", {}, result.passed ? "✓" : result.soft ? "⚠" : "✗"), h("td", {}, result.description), h("td", {}, h("code", {}, result.expected ?? "")), h("td", {}, h("code", {}, result.actual ?? "")))))) : null,
    Object.keys(step.extracted).length ? h("p", {}, h("strong", {}, t("testing.extracted")), " ", h("code", {}, JSON.stringify(step.extracted))) : null);
}

export async function runPage(container, { runID, can }) {
  const summary = await api.get(`/runs/${runID}`);
  const run = summary.run;
  const [project, cases] = await Promise.all([api.get(`/projects/${run.project_id}`), allItems(`/projects/${run.project_id}/cases`, 10_000).catch(() => [])]);
  const tagsOf = new Map(cases.map((testCase) => [testCase.id, testCase.tags]));
  const state = { results: [], byKey: new Map(), status: run.status, totals: summary.totals };
  const progress = h("progress", { class: "run-progress", max: Math.max(1, run.planned_cases || 1), value: 0, "aria-label": t("testing.progress") });
  const counts = h("p", { class: "run-counts", "aria-live": "polite" });
  const badge = h("span", { class: "run-status" });
  const failedOnly = h("input", { type: "checkbox", id: "run-failed-only" });
  const allTags = [...new Set(cases.flatMap((testCase) => testCase.tags))].sort();
  const tag = h("select", { id: "run-tag", "aria-label": t("testing.tags") }, h("option", { value: "" }, t("testing.allTags")), allTags.map((value) => h("option", { value }, value)));
  const detail = h("div", { class: "run-detail", "aria-live": "polite" });
  const cancel = h("button", { type: "button", class: "danger", hidden: true, onclick: cancelRun }, t("testing.cancelRun"));
  const list = virtualList({ label: t("testing.results"), render: (result) => result.pending ? h("div", { role: "listitem", class: "result-row muted" }, t("common.loading")) : h("div", { role: "listitem", class: `result-row ${result.status}`, "data-case": result.case_name },
    h("button", { type: "button", class: "link", disabled: !result.id, onclick: () => openResult(result) },
      h("span", { class: `dot ${result.status}`, "aria-hidden": "true" }), `${result.case_name}${result.iteration && result.iteration !== result.case_name ? ` · ${result.iteration}` : ""}`),
    h("span", { class: `status status-${result.status}` }, t(`testing.status.${result.status}`)),
    h("span", { class: "muted" }, `${formatNumber(result.duration_ms, 0)} ms`)) });

  function visible() {
    return state.results.filter((result) => (!failedOnly.checked || ["failed", "error"].includes(result.status))
      && (!tag.value || (tagsOf.get(result.case_id) || []).includes(tag.value)));
  }
  function drawProgress() {
    const totals = state.totals;
    const done = state.results.length;
    progress.max = Math.max(1, run.planned_cases || done);
    progress.value = FINISHED.includes(state.status) ? progress.max : Math.min(done, progress.max);
    counts.textContent = t("testing.counts", { done, planned: run.planned_cases ?? "?", passed: totals ? totals.passed : 0, failed: totals ? totals.failed + totals.errors : 0 });
    mount(badge, statusBadge(state.status));
    cancel.hidden = FINISHED.includes(state.status) || !can("testrun:execute");
  }
  function record(result) {
    const key = result.id || `${result.seq}`;
    if (state.byKey.has(key)) { Object.assign(state.byKey.get(key), result); return; }
    state.byKey.set(key, result);
    state.results.push(result);
  }
  async function openResult(result) {
    // A result seen live has no evidence yet: it is read from the stored results.
    if (!result.steps) (await allItems(`/runs/${runID}/results`)).forEach(record);
    const full = state.byKey.get(result.id);
    if (!full || !full.steps) return;
    mount(detail, h("h2", {}, full.case_name, " ", statusBadge(full.status)),
      h("p", { class: "muted" }, t("testing.iterationInfo", { iteration: full.iteration, attempts: full.attempts, ms: formatNumber(full.duration_ms) })),
      full.steps.map(stepEvidence));
    detail.scrollIntoView({ block: "nearest" });
  }
  async function cancelRun() {
    try { await api.post(`/runs/${runID}/cancel`); } catch (failure) { toast(failure.message, "error"); }
  }
  // The first page shows at once with the list at its full length (rows not loaded yet say
  // so); the other pages arrive in parallel.
  async function loadResults() {
    const first = await api.get(`/runs/${runID}/results?page=1&page_size=100`);
    first.items.forEach(record);
    const pending = Array.from({ length: Math.max(0, first.total - state.results.length) }, () => ({ pending: true }));
    list.set(failedOnly.checked || tag.value ? visible() : [...visible(), ...pending]);
    const pages = Math.ceil(first.total / 100);
    const rest = await Promise.all(Array.from({ length: Math.max(0, pages - 1) }, (_, index) => api.get(`/runs/${runID}/results?page=${index + 2}&page_size=100`)));
    for (const page of rest) page.items.forEach(record);
    state.results.sort((a, b) => a.seq - b.seq);
    list.set(visible());
    list.element.dataset.loaded = String(state.results.length);
    drawProgress();
  }
  // Live: each finished case iteration joins the list as its event arrives.
  async function follow() {
    const controller = new AbortController();
    const stop = new MutationObserver(() => { if (!container.isConnected) { controller.abort(); stop.disconnect(); } });
    stop.observe(document.body, { childList: true, subtree: true });
    try {
      await api.follow(`/runs/${runID}/events`, (name, data) => {
        if (name === "snapshot" || name === "run_finished") { state.totals = data.totals; state.status = data.run.status; Object.assign(run, data.run); }
        else if (name === "run_started") state.status = data.status;
        else if (name === "case_finished") { record({ ...data, id: data.result_id }); state.totals = tally(state.results); list.set(visible()); }
        drawProgress();
      }, controller.signal);
    } catch (error) { if (error.name !== "AbortError") toast(error.message, "error"); }
    stop.disconnect();
    if (container.isConnected) await loadResults();
  }
  function tally(results) {
    const totals = { passed: 0, failed: 0, errors: 0 };
    for (const result of results) { if (result.status === "passed") totals.passed++; else if (result.status === "failed") totals.failed++; else if (result.status === "error") totals.errors++; }
    return totals;
  }
  async function compare(other) {
    const comparison = await api.get(`/runs/${runID}/compare/${other}`);
    const group = (key) => h("section", {}, h("h3", {}, `${t(`testing.compare.${key}`)} (${comparison[key].length})`),
      comparison[key].length ? h("ul", {}, comparison[key].map((item) => h("li", {}, item.name))) : null);
    mount(comparisonBox, h("h2", {}, t("testing.comparison")), h("p", {}, t("testing.compare.stillPassing", { count: comparison.still_passing })),
      ["newly_failing", "newly_passing", "still_failing", "added", "removed"].map(group));
  }
  const comparisonBox = h("div", { class: "comparison" });
  const others = (await api.get(`/runs${api.query({ project_id: run.project_id, page_size: 50 })}`)).items.filter((item) => item.id !== runID);
  const baseline = h("select", { id: "run-compare", "aria-label": t("testing.compareWith") }, h("option", { value: "" }, t("testing.compareWith")),
    others.map((item) => h("option", { value: item.id }, `${formatDate(item.created_at)} · ${t(`testing.status.${item.status}`)}`)));
  baseline.addEventListener("change", () => baseline.value && compare(baseline.value));
  for (const control of [failedOnly, tag]) control.addEventListener("change", () => list.set(visible()));
  const downloads = ["junit", "html", "json"].map((format) => h("button", { type: "button", "data-format": format,
    onclick: () => api.download(`/runs/${runID}/report?format=${format}`, `run-${runID.slice(0, 8)}.${format === "junit" ? "xml" : format}`).catch((error) => toast(error.message, "error")) },
  t(`testing.download.${format}`)));

  mount(container,
    h("p", { class: "breadcrumb" }, link("/testing/projects", t("menu./testing/projects")), " / ", link(projectPath(project.id, "runs"), project.name), " / ", t("testing.run")),
    h("div", { class: "page-head" }, h("h1", {}, t("testing.runTitle", { date: formatDate(run.created_at) })), h("div", { class: "actions" }, badge, cancel)),
    run.error ? h("p", { class: "form-error" }, run.error) : null,
    h("div", { class: "panel" }, progress, counts),
    h("div", { class: "filters" }, h("label", { for: failedOnly.id, class: "check" }, failedOnly, t("testing.failedOnly")), tag,
      h("span", { class: "spacer" }), h("span", { class: "actions" }, downloads), baseline),
    h("div", { class: "run-layout" }, list.element, detail), comparisonBox);
  drawProgress();
  if (FINISHED.includes(run.status)) await loadResults();
  else follow();
}

// A line over evenly spaced points; `values` may hold nulls (gaps).
function lineChart(values, { label, max = Math.max(1, ...values.filter((value) => value != null)), format = (value) => formatNumber(value) }) {
  const width = 600, height = 160, pad = 30;
  const x = (index) => pad + (values.length > 1 ? (index * (width - 2 * pad)) / (values.length - 1) : (width - 2 * pad) / 2);
  const y = (value) => height - pad - (value / max) * (height - 2 * pad);
  const points = values.map((value, index) => value == null ? null : `${x(index)},${y(value)}`).filter(Boolean).join(" ");
  return h("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label },
    h("title", {}, label),
    h("line", { class: "axis", x1: pad, y1: height - pad, x2: width - pad, y2: height - pad }),
    h("text", { class: "chart-label", x: 2, y: pad }, format(max)), h("text", { class: "chart-label", x: 2, y: height - pad }, "0"),
    h("polyline", { class: "calls-line", fill: "none", points }),
    values.map((value, index) => value == null ? null : h("circle", { class: "point", cx: x(index), cy: y(value), r: 3 }, h("title", {}, format(value)))));
}

export async function trendsPage(container, { project }) {
  const days = h("select", { id: "trend-days", "aria-label": t("testing.window") }, [7, 30, 90].map((value) => h("option", { value, selected: value === 30 }, t("testing.days", { days: value }))));
  const body = h("div", {});
  async function draw() {
    const trends = await api.get(`/projects/${project.id}/trends${api.query({ days: days.value })}`);
    const runs = trends.runs;
    mount(body,
      h("div", { class: "columns" },
        h("section", { class: "panel" }, h("h2", {}, t("testing.passRate")), runs.length
          ? lineChart(runs.map((run) => run.pass_rate == null ? null : run.pass_rate * 100), { label: t("testing.passRate"), max: 100, format: (value) => `${formatNumber(value, 1)}%` }) : emptyNote(t("table.empty"))),
        h("section", { class: "panel" }, h("h2", {}, t("testing.duration")), runs.length
          ? lineChart(runs.map((run) => run.duration_ms), { label: t("testing.duration"), format: (value) => `${formatNumber(value)} ms` }) : emptyNote(t("table.empty")))),
      h("section", { class: "panel" }, h("h2", {}, t("testing.flaky")), trends.flaky.length
        ? h("table", { class: "data" }, h("thead", {}, h("tr", {}, [t("testing.name"), t("testing.status.passed"), t("testing.status.failed")].map((title) => h("th", { scope: "col" }, title)))),
          h("tbody", {}, trends.flaky.map((item) => h("tr", {}, h("td", {}, link(projectPath(project.id, "cases", item.case_id), `${item.name} · ${item.iteration}`)), h("td", {}, item.passed), h("td", {}, item.failed)))))
        : emptyNote(t("testing.noFlaky"))),
      h("section", { class: "panel" }, h("h2", {}, t("testing.p95")), trends.endpoints.length
        ? h("div", { class: "columns" }, trends.endpoints.map((endpoint) => h("div", {}, h("h3", {}, endpoint.endpoint),
          lineChart(endpoint.runs.map((point) => point.p95_ms), { label: `${t("testing.p95")} ${endpoint.endpoint}`, format: (value) => `${formatNumber(value, 1)} ms` }))))
        : emptyNote(t("table.empty"))));
  }
  days.addEventListener("change", draw);
  projectFrame(container, project, "runs", h("div", { class: "page-head" }, h("h2", {}, t("testing.trends")), days), body);
  await draw();
}
