// Counts, model usage per day (an SVG chart drawn here), the costliest models, recent
// activity and the service's health.
import * as api from "./api.js";
import { formatDate, formatNumber, h, mount } from "./dom.js";
import { t } from "./i18n.js";

const countKeys = ["users", "agents", "models", "chat_sessions", "projects", "test_cases", "test_runs"];

export async function dashboard(container) {
  mount(container, h("h1", {}, t("menu./dashboard")), h("p", { class: "muted" }, t("common.loading")));
  const [data, health] = await Promise.all([api.get("/dashboard"), fetch("/health").then((response) => response.json()).catch(() => null)]);
  mount(container,
    h("h1", {}, t("menu./dashboard")),
    h("section", { class: "cards", "aria-label": t("dashboard.counts") }, countKeys.map((key) =>
      h("div", { class: "card", "data-count": key }, h("div", { class: "card-label" }, t(`dashboard.count.${key}`)), h("div", { class: "card-value" }, formatNumber(data.counts[key]))))),
    h("section", { class: "panel" }, h("h2", {}, t("dashboard.usage")), usageChart(data.usage_per_day), usageTotals(data.usage_per_day)),
    h("div", { class: "columns" },
      h("section", { class: "panel" }, h("h2", {}, t("dashboard.topModels")), topModels(data.top_models)),
      h("section", { class: "panel" }, h("h2", {}, t("dashboard.health")), healthTable(health))),
    data.recent_activity ? h("section", { class: "panel" }, h("h2", {}, t("dashboard.activity")), activity(data.recent_activity)) : null);
}

function usageTotals(days) {
  const sum = (key) => days.reduce((total, day) => total + (day[key] || 0), 0);
  return h("p", { class: "muted", "data-usage-totals": "" },
    t("dashboard.totals", { calls: formatNumber(sum("calls")), tokens: formatNumber(sum("input_tokens") + sum("output_tokens")), cost: formatNumber(sum("cost"), 4) }));
}

// Tokens per day as bars, calls as a line; each day's figures in its <title> (the tooltip).
function usageChart(days) {
  const width = 720;
  const height = 200;
  const pad = 28;
  const tokens = days.map((day) => day.input_tokens + day.output_tokens);
  const maxTokens = Math.max(1, ...tokens);
  const maxCalls = Math.max(1, ...days.map((day) => day.calls));
  const step = (width - 2 * pad) / days.length;
  const y = (value, max) => height - pad - (value / max) * (height - 2 * pad);
  const bars = days.map((day, index) => h("rect", {
    class: "bar", x: (pad + index * step + 1).toFixed(1), y: y(tokens[index], maxTokens).toFixed(1),
    width: Math.max(1, step - 2).toFixed(1), height: (height - pad - y(tokens[index], maxTokens)).toFixed(1),
  }, h("title", {}, t("dashboard.dayTooltip", { day: day.day, calls: day.calls, tokens: formatNumber(tokens[index]), cost: formatNumber(day.cost ?? 0, 4) }))));
  const points = days.map((day, index) => `${(pad + index * step + step / 2).toFixed(1)},${y(day.calls, maxCalls).toFixed(1)}`).join(" ");
  return h("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": t("dashboard.chartLabel") },
    h("line", { class: "axis", x1: pad, y1: height - pad, x2: width - pad, y2: height - pad }),
    bars,
    h("polyline", { class: "calls-line", points, fill: "none" }),
    h("text", { class: "chart-label", x: pad, y: 14 }, t("dashboard.chartLegend", { tokens: formatNumber(maxTokens), calls: maxCalls })),
    h("text", { class: "chart-label", x: pad, y: height - 8 }, days[0].day),
    h("text", { class: "chart-label", x: width - pad, y: height - 8, "text-anchor": "end" }, days[days.length - 1].day));
}

function topModels(models) {
  if (!models.length) return h("p", { class: "empty" }, t("table.empty"));
  return h("table", { class: "data" },
    h("thead", {}, h("tr", {}, [t("models.model"), t("models.provider"), t("usage.calls"), t("usage.tokens"), t("usage.cost")].map((title) => h("th", { scope: "col" }, title)))),
    h("tbody", {}, models.map((line) => h("tr", {},
      h("td", {}, line.model), h("td", {}, line.provider), h("td", {}, formatNumber(line.usage.calls)),
      h("td", {}, formatNumber(line.usage.input_tokens + line.usage.output_tokens)), h("td", {}, formatNumber(line.usage.cost, 4))))));
}

function healthTable(health) {
  if (!health) return h("p", { class: "form-error" }, t("dashboard.healthUnknown"));
  const checks = Object.entries(health.checks || {});
  return h("div", {},
    h("p", {}, h("span", { class: `status status-${health.status}` }, t(`health.${health.status}`)), " ", h("span", { class: "muted" }, health.version)),
    h("table", { class: "data" }, h("tbody", {}, checks.map(([name, check]) =>
      h("tr", {}, h("td", {}, name), h("td", {}, h("span", { class: `status status-${check.status}` }, check.status)), h("td", {}, check.latency_ms != null ? `${formatNumber(check.latency_ms, 1)} ms` : ""))))));
}

function activity(records) {
  if (!records.length) return h("p", { class: "empty" }, t("table.empty"));
  return h("table", { class: "data" },
    h("thead", {}, h("tr", {}, [t("audit.time"), t("audit.user"), t("audit.action"), t("audit.resource"), t("audit.status")].map((title) => h("th", { scope: "col" }, title)))),
    h("tbody", {}, records.map((record) => h("tr", {},
      h("td", {}, formatDate(record.created_at)), h("td", {}, record.username || ""), h("td", {}, record.action),
      h("td", {}, record.resource_type), h("td", {}, String(record.status))))));
}
