// The menu tree, the department tree and the system settings.
import * as api from "./api.js";
import { formatDate, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { dataTable } from "./table.js";
import { field, formDialog } from "./ui.js";

function tree(nodes, label) {
  return h("ul", { class: "tree" }, nodes.map((node) => h("li", {}, label(node), node.children && node.children.length ? tree(node.children, label) : null)));
}

export async function menus(container) {
  const nodes = await api.get("/menus");
  mount(container, h("h1", {}, t("menu./system/menus")), h("section", { class: "panel" }, tree(nodes, (node) =>
    h("span", {}, h("strong", {}, node.path ? t(`menu.${node.path}`) : node.name), " ", h("span", { class: "muted" }, [t(`menuType.${node.type}`), node.path, node.permission].filter(Boolean).join(" · "))))));
}

export async function departments(container) {
  const nodes = await api.get("/departments");
  mount(container, h("h1", {}, t("menu./system/departments")), h("section", { class: "panel" }, tree(nodes, (node) => h("span", {}, node.name))));
}

export async function settings(container, { can }) {
  const table = dataTable({
    label: t("menu./system/settings"),
    load: (page, size) => api.get(`/system/settings${api.query({ page, page_size: size })}`),
    columns: [
      { key: "key", title: t("settings.key") },
      { key: "value", title: t("settings.value") },
      { key: "description", title: t("roles.description") },
      { key: "updated_at", title: t("settings.updated"), render: (setting) => formatDate(setting.updated_at) },
      { key: "actions", title: t("common.actions"), sortable: false, render: (setting) => can("settings:update") ? h("button", { type: "button", onclick: () => edit(setting) }, t("common.edit")) : "" },
    ],
  });

  async function edit(setting) {
    const fields = [
      ...(setting ? [] : [field("key", t("settings.key"), { required: true })]),
      field("value", t("settings.value"), { value: setting && !setting.is_secret ? setting.value : "", type: setting && setting.is_secret ? "password" : "text" }),
      field("description", t("roles.description"), { value: setting && setting.description }),
    ];
    const value = (name) => fields.find((item) => item.name === name).input.value;
    const key = setting ? setting.key : null;
    const done = await formDialog(setting ? t("models.edit", { name: setting.key }) : t("settings.create"), fields, () =>
      api.put(`/system/settings/${encodeURIComponent(key || value("key"))}`, { value: value("value"), description: value("description") || null, is_secret: setting ? setting.is_secret : false }));
    if (done) { toast(t("common.saved"), "success"); table.reload(); }
  }

  mount(container,
    h("div", { class: "page-head" }, h("h1", {}, t("menu./system/settings")),
      can("settings:update") ? h("button", { type: "button", class: "primary", onclick: () => edit(null) }, t("settings.create")) : null),
    table.element);
  await table.first();
}
