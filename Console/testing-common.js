// Pieces the API-testing pages share: the project page's frame and tabs, status badges,
// copying, every page of a list, and a JSON view whose values can be
// picked (each knows its JSONPath).
import * as api from "./api.js";
import { h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { linkHandler } from "./router.js";

// The project page's tabs, in order. Other parts of the console add theirs with
// `addProjectTab(key, label, page, index)` (`label` a function answering the text): `page(container, context)`
// gets the context of a project page (`project`, `item` — the path's part after the tab —, `can`, `navigate`).
export const projectTabs = ["endpoints", "cases", "suites", "runs", "schedules", "settings"].map((key) => ({ key, label: () => t(`testing.tab.${key}`) }));

export function addProjectTab(key, label, page, index = projectTabs.length) {
  projectTabs.splice(index, 0, { key, label, page });
}

// A tab that leads to a page of its own (`href(projectID)`), such as the project's AI generations.
export function addProjectLink(key, label, href) {
  projectTabs.push({ key, label, href });
}

export const projectPath = (projectID, ...rest) => ["/testing/projects", projectID, ...rest].join("/");

export function link(href, text, props = {}) {
  return h("a", { href, onclick: linkHandler, ...props }, text);
}

// The frame of every page inside a project: its name, the tabs, then `body`.
export function projectFrame(container, project, current, ...body) {
  mount(container,
    h("p", { class: "breadcrumb" }, link("/testing/projects", t("menu./testing/projects")), " / ", project.name),
    h("h1", {}, project.name),
    h("nav", { class: "tabs", "aria-label": t("testing.projectSections") }, projectTabs.map((tab) =>
      link(tab.href ? tab.href(project.id) : projectPath(project.id, tab.key), tab.label(), { class: "tab", "aria-current": tab.key === current ? "page" : null }))),
    ...body);
}

export function statusBadge(status) {
  return h("span", { class: `status status-${status}`, "data-status": status }, t(`testing.status.${status}`));
}

// Every item of a paginated list (page size 100, pages fetched in parallel after the first).
export async function allItems(path, limit = 10_000) {
  const separator = path.includes("?") ? "&" : "?";
  const first = await api.get(`${path}${separator}page=1&page_size=100`);
  const pages = Math.min(Math.ceil(first.total / 100), Math.ceil(limit / 100));
  const rest = await Promise.all(Array.from({ length: Math.max(0, pages - 1) }, (_, index) =>
    api.get(`${path}${separator}page=${index + 2}&page_size=100`)));
  return [first, ...rest].flatMap((page) => page.items);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t("testing.copied"), "success");
  } catch (_) {
    toast(t("testing.copyFailed"), "error");
  }
}

export function pretty(text) {
  if (typeof text !== "string") return JSON.stringify(text, null, 2);
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
}

export function parseJSON(text) {
  try { return { value: JSON.parse(text) }; } catch (error) { return { error: error.message }; }
}

function childPath(path, key) {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}['${key.replace(/'/g, "\\'")}']`;
}

// A JSON value drawn as nested lists; each scalar is a button that calls `onPick(path, value)`.
export function jsonView(value, onPick, path = "$") {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
    return h("ul", { class: "json" }, entries.map(([key, item]) => h("li", {},
      h("span", { class: "json-key" }, typeof key === "number" ? `[${key}]` : key), ": ", jsonView(item, onPick, childPath(path, key)))));
  }
  return h("button", { type: "button", class: "json-value", "data-path": path, title: path, onclick: () => onPick(path, value) }, JSON.stringify(value));
}

// The value at a JSONPath of the simple kind `jsonView` writes ($.a.b[0]['c d']); undefined when absent.
export function valueAt(document, path) {
  const parts = [...path.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]/g)];
  let current = document;
  for (const [, name, index, quoted] of parts) {
    if (current === null || typeof current !== "object") return undefined;
    current = current[name ?? (index !== undefined ? Number(index) : quoted.replace(/\\'/g, "'"))];
  }
  return current;
}

export function emptyNote(text) { return h("p", { class: "empty" }, text); }

// Sends a body that is not JSON (a CSV upload) with the access token; answers the JSON reply.
export async function sendText(method, path, text, contentType) {
  const response = await api.authorized(path, { method, headers: { "Content-Type": contentType }, body: text });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new api.APIError(response.status, body);
  return body;
}
