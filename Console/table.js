// A server-paginated table with sortable columns (sorted within the page), loading and empty
// states. `load(page, pageSize)` answers the API's list page.
import { h, mount } from "./dom.js";
import { t } from "./i18n.js";

export function dataTable({ columns, load, pageSize = 20, label }) {
  const state = { page: 1, total: 0, items: [], sort: null, descending: false };
  const body = h("tbody", {});
  const info = h("span", { class: "muted" });
  const previous = h("button", { type: "button", onclick: () => go(state.page - 1) }, t("table.previous"));
  const next = h("button", { type: "button", onclick: () => go(state.page + 1) }, t("table.next"));
  const headers = columns.map((column) => {
    const button = column.sortable === false ? column.title : h("button", { type: "button", class: "sort", onclick: () => sortBy(column) }, column.title);
    return h("th", { scope: "col" }, button);
  });
  const element = h("div", { class: "table-wrap" },
    h("table", { class: "data", "aria-label": label }, h("thead", {}, h("tr", {}, headers)), body),
    h("div", { class: "pager" }, previous, info, next));

  function sortBy(column) {
    state.descending = state.sort === column ? !state.descending : false;
    state.sort = column;
    draw();
  }

  function draw() {
    let items = state.items;
    if (state.sort) {
      const key = state.sort.sortKey || ((item) => item[state.sort.key]);
      items = [...items].sort((a, b) => {
        const x = key(a) ?? "";
        const y = key(b) ?? "";
        return (x > y ? 1 : x < y ? -1 : 0) * (state.descending ? -1 : 1);
      });
    }
    headers.forEach((cell, index) => cell.setAttribute("aria-sort", columns[index] === state.sort ? (state.descending ? "descending" : "ascending") : "none"));
    if (!items.length) mount(body, h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, t("table.empty"))));
    else mount(body, items.map((item) => h("tr", {}, columns.map((column) => h("td", {}, column.render ? column.render(item) : item[column.key] ?? "")))));
    const pages = Math.max(1, Math.ceil(state.total / pageSize));
    info.textContent = t("table.page", { page: state.page, pages, total: state.total });
    previous.disabled = state.page <= 1;
    next.disabled = state.page >= pages;
  }

  async function go(page) {
    state.page = page;
    mount(body, h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, t("common.loading"))));
    const result = await load(page, pageSize);
    state.items = result.items;
    state.total = result.total;
    draw();
  }

  return { element, reload: () => go(state.page), first: () => go(1) };
}
