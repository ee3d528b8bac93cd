// The menu tree, the department tree and the system settings.
import * as api from "./api.js";
import { formatDate, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { dataTable } from "./table.js";
import { confirmAction, field, formDialog } from "./ui.js";

function tree(nodes, label) {
  return h("ul", { class: "tree" }, nodes.map((node) => h("li", {}, label(node), node.children && node.children.length ? tree(node.children, label) : null)));
}

export async function menus(container) {
  const nodes = await api.get("/menus");
  mount(container, h("h1", {}, t("menu./system/menus")), h("section", { class: "panel" }, tree(nodes, (node) =>
    h("span", {}, h("strong", {}, node.path ? t(`menu.${node.path}`) : node.name), " ", h("span", { class: "muted" }, [t(`menuType.${node.type}`), node.path, node.permission].filter(Boolean).join(" · "))))));
}

// The department tree: add a department under another, rename, delete (the API refuses one
// with children or members).
export async function departments(container, { can }) {
  async function draw() {
    const nodes = await api.get("/departments");
    mount(container, h("div", { class: "page-head" }, h("h1", {}, t("menu./system/departments")),
      can("department:create") ? h("button", { type: "button", class: "primary", onclick: () => edit(null, null) }, t("departments.create")) : null),
    h("section", { class: "panel" }, tree(nodes, (node) => h("span", { class: "actions" }, h("strong", {}, node.name),
      can("department:create") ? h("button", { type: "button", onclick: () => edit(null, node) }, t("departments.addChild")) : null,
      can("department:update") ? h("button", { type: "button", onclick: () => edit(node, null) }, t("common.edit")) : null,
      can("department:delete") ? h("button", { type: "button", class: "danger", onclick: () => remove(node) }, t("common.delete")) : null))));
  }

  async function edit(department, parent) {
    const name = field("name", t("models.name"), { value: department && department.name, required: true });
    const title = department ? t("models.edit", { name: department.name }) : parent ? t("departments.addUnder", { name: parent.name }) : t("departments.create");
    const done = await formDialog(title, [name], () => department
      ? api.put(`/departments/${department.id}`, { name: name.input.value })
      : api.post("/departments", { name: name.input.value, parent_id: parent ? parent.id : null }));
    if (done) { toast(t("common.saved"), "success"); await draw(); }
  }

  async function remove(department) {
    if (!(await confirmAction(t("models.confirmDelete", { name: department.name })))) return;
    try {
      await api.del(`/departments/${department.id}`);
      toast(t("common.deleted"), "success");
      await draw();
    } catch (error) { toast(error.message, "error"); }
  }

  await draw();
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
