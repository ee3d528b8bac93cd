// The audit log (filters and each entry's detail) and the system log (filters and a live
// tail over server-sent events).
import * as api from "./api.js";
import { dialog, formatDate, h, mount } from "./dom.js";
import { t } from "./i18n.js";
import { dataTable } from "./table.js";

// A `datetime-local` value as the ISO 8601 instant the API takes.
const instant = (input) => input.value ? new Date(input.value).toISOString() : "";

function filterInput(name, label, props = {}) {
  return h("label", { class: "filter" }, h("span", {}, label), h("input", { name, ...props }));
}

export async function audit(container) {
  const filters = h("form", { class: "filters", onsubmit: (event) => { event.preventDefault(); table.first(); } },
    filterInput("user_id", t("audit.userID"), { placeholder: "UUID" }),
    filterInput("resource_type", t("audit.resource")),
    filterInput("action", t("audit.action")),
    filterInput("status", t("audit.status"), { type: "number", min: 100, max: 599 }),
    filterInput("from", t("common.from"), { type: "datetime-local" }),
    filterInput("to", t("common.to"), { type: "datetime-local" }),
    h("button", { type: "submit" }, t("common.filter")));
  const value = (name) => filters.elements[name].value.trim();
  const table = dataTable({
    label: t("menu./system/audit"),
    load: (page, size) => api.get(`/audit-logs${api.query({ page, page_size: size, user_id: value("user_id"), resource_type: value("resource_type"), action: value("action"), status: value("status"), from: instant(filters.elements.from), to: instant(filters.elements.to) })}`),
    columns: [
      { key: "created_at", title: t("audit.time"), render: (record) => formatDate(record.created_at) },
      { key: "username", title: t("audit.user") },
      { key: "action", title: t("audit.action") },
      { key: "resource_type", title: t("audit.resource") },
      { key: "status", title: t("audit.status") },
      { key: "ip", title: t("audit.ip") },
      { key: "detail", title: t("common.actions"), sortable: false, render: (record) => h("button", { type: "button", onclick: () => detail(record) }, t("common.detail")) },
    ],
  });
  mount(container, h("h1", {}, t("menu./system/audit")), filters, table.element);
  await table.first();
}

function detail(record) {
  const rows = Object.entries(record).map(([key, value]) => h("tr", {}, h("th", { scope: "row" }, key), h("td", {}, value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value))));
  return dialog(t("common.detail"), h("table", { class: "data detail" }, h("tbody", {}, rows)), [{ label: t("common.close"), value: true, class: "primary" }]);
}

export async function systemLogs(container) {
  const level = h("select", { name: "level", "aria-label": t("logs.level") }, [["", t("common.all")], ["warning", "WARNING"], ["error", "ERROR"], ["critical", "CRITICAL"]].map(([value, text]) => h("option", { value }, text)));
  const filters = h("form", { class: "filters", onsubmit: (event) => { event.preventDefault(); table.first(); if (tail) { stopTail(); startTail(); } } },
    h("label", { class: "filter" }, h("span", {}, t("logs.level")), level),
    filterInput("module", t("logs.module")),
    filterInput("text", t("logs.text"), { type: "search" }),
    filterInput("from", t("common.from"), { type: "datetime-local" }),
    filterInput("to", t("common.to"), { type: "datetime-local" }),
    h("button", { type: "submit" }, t("common.filter")));
  const value = (name) => filters.elements[name].value.trim();
  const params = () => ({ level: level.value, module: value("module"), text: value("text") });
  const table = dataTable({
    label: t("menu./system/logs"),
    load: (page, size) => api.get(`/system/logs${api.query({ page, page_size: size, ...params(), from: instant(filters.elements.from), to: instant(filters.elements.to) })}`),
    columns: [
      { key: "created_at", title: t("audit.time"), render: (record) => formatDate(record.created_at) },
      { key: "level", title: t("logs.level"), render: (record) => h("span", { class: `status level-${record.level}` }, record.level.toUpperCase()) },
      { key: "module", title: t("logs.module") },
      { key: "message", title: t("logs.message") },
      { key: "detail", title: t("common.actions"), sortable: false, render: (record) => h("button", { type: "button", onclick: () => detail(record) }, t("common.detail")) },
    ],
  });

  const live = h("ol", { class: "tail", "aria-label": t("logs.tail") });
  let tail = null;
  const toggle = h("button", { type: "button", id: "tail-toggle", "aria-pressed": "false", onclick: () => (tail ? stopTail() : startTail()) }, t("logs.startTail"));
  function startTail() {
    tail = new AbortController();
    toggle.textContent = t("logs.stopTail");
    toggle.setAttribute("aria-pressed", "true");
    api.follow(`/system/logs/stream${api.query(params())}`, (name, record) => {
      if (name !== "log") return;
      live.prepend(h("li", { class: `level-${record.level}` }, h("time", {}, formatDate(record.created_at)), " ", h("strong", {}, record.level.toUpperCase()), " ", record.module, " · ", record.message));
      while (live.children.length > 200) live.lastElementChild.remove();
    }, tail.signal).catch(() => {});
  }
  function stopTail() {
    tail.abort();
    tail = null;
    toggle.textContent = t("logs.startTail");
    toggle.setAttribute("aria-pressed", "false");
  }
  // Leaving the page ends the tail.
  const observer = new MutationObserver(() => { if (!container.isConnected && tail) { stopTail(); observer.disconnect(); } });
  observer.observe(document.getElementById("app"), { childList: true });

  mount(container, h("h1", {}, t("menu./system/logs")), filters, table.element,
    h("section", { class: "panel" }, h("div", { class: "page-head" }, h("h2", {}, t("logs.tail")), toggle), live));
  await table.first();
}
