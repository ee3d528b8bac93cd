// Administration: users (create, edit, reset password, enable or disable, roles, delete)
// and roles (with the permission tree as checkboxes). Buttons follow the caller's permissions.
import * as api from "./api.js";
import { formatDate, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { dataTable } from "./table.js";
import { confirmAction, field, fieldMessage, formDialog } from "./ui.js";

async function allRoles() {
  return (await api.get("/roles?page_size=100")).items;
}

function roleChecks(roles, selected) {
  const boxes = roles.map((role) => ({ role, input: h("input", { type: "checkbox", id: `role-${role.id}`, value: role.id, checked: selected.includes(role.code) }) }));
  const element = h("fieldset", { class: "field checks" }, h("legend", {}, t("users.roles")),
    boxes.map(({ role, input }) => h("label", { for: input.id, class: "check" }, input, role.name)));
  return { name: "role_ids", input: boxes[0] ? boxes[0].input : h("input", {}), error: h("span", { class: "field-error" }), element, ids: () => boxes.filter((box) => box.input.checked).map((box) => box.role.id) };
}

export async function users(container, { can }) {
  const search = h("input", { type: "search", id: "user-search", placeholder: t("users.search"), "aria-label": t("users.search") });
  const status = h("select", { "aria-label": t("users.status") }, [["", t("common.all")], ["active", t("users.active")], ["disabled", t("users.disabled")]].map(([value, text]) => h("option", { value }, text)));
  const table = dataTable({
    label: t("menu./system/users"),
    load: (page, size) => api.get(`/users${api.query({ page, page_size: size, username: search.value, status: status.value })}`),
    columns: [
      { key: "username", title: t("users.username") },
      { key: "nickname", title: t("users.nickname") },
      { key: "status", title: t("users.status"), render: (user) => h("span", { class: `status status-${user.status}` }, t(`users.${user.status}`)) },
      { key: "last_login_at", title: t("users.lastLogin"), render: (user) => formatDate(user.last_login_at) },
      { key: "actions", title: t("common.actions"), sortable: false, render: (user) => h("div", { class: "actions" },
        can("user:update") ? [
          h("button", { type: "button", onclick: () => edit(user) }, t("common.edit")),
          h("button", { type: "button", onclick: () => resetPassword(user) }, t("users.resetPassword")),
          h("button", { type: "button", onclick: () => toggle(user) }, user.status === "active" ? t("users.disable") : t("users.enable")),
        ] : null,
        can("user:delete") ? h("button", { type: "button", class: "danger", onclick: () => remove(user) }, t("common.delete")) : null) },
    ],
  });

  async function create() {
    const roles = await allRoles();
    const fields = [field("username", t("users.username"), { required: true }), field("password", t("login.password"), { type: "password", autocomplete: "new-password", required: true }),
      field("nickname", t("users.nickname")), field("email", t("users.email"), { type: "email" })];
    const checks = roleChecks(roles, []);
    const done = await formDialog(t("users.create"), [...fields, checks], () => api.post("/users", {
      username: fields[0].input.value, password: fields[1].input.value, nickname: fields[2].input.value || null, email: fields[3].input.value || null, role_ids: checks.ids(),
    }));
    if (done) { toast(t("common.saved"), "success"); table.first(); }
  }

  async function edit(listed) {
    // The list leaves roles out; the user's own answer has them.
    const [roles, user] = await Promise.all([allRoles(), api.get(`/users/${listed.id}`)]);
    const fields = [field("nickname", t("users.nickname"), { value: user.nickname }), field("email", t("users.email"), { type: "email", value: user.email })];
    const checks = roleChecks(roles, user.roles || []);
    const done = await formDialog(t("users.edit", { name: user.username }), [...fields, checks], async () => {
      await api.put(`/users/${user.id}`, { nickname: fields[0].input.value || null, email: fields[1].input.value || null });
      await api.put(`/users/${user.id}/roles`, { role_ids: checks.ids() });
    });
    if (done) { toast(t("common.saved"), "success"); table.reload(); }
  }

  async function resetPassword(user) {
    const password = field("password", t("password.new"), { type: "password", autocomplete: "new-password", required: true });
    const done = await formDialog(t("users.resetPasswordOf", { name: user.username }), [password], () => api.post(`/users/${user.id}/reset-password`, { password: password.input.value }));
    if (done) toast(t("users.passwordReset"), "success");
  }

  async function toggle(user) {
    try {
      await api.post(`/users/${user.id}/${user.status === "active" ? "disable" : "enable"}`);
      toast(t("common.saved"), "success");
      table.reload();
    } catch (error) { toast(fieldMessage(error) || error.message, "error"); }
  }

  async function remove(user) {
    if (!(await confirmAction(t("users.confirmDelete", { name: user.username })))) return;
    try {
      await api.del(`/users/${user.id}`);
      toast(t("common.deleted"), "success");
      table.reload();
    } catch (error) { toast(error.message, "error"); }
  }

  search.addEventListener("input", () => table.first());
  status.addEventListener("change", () => table.first());
  mount(container,
    h("div", { class: "page-head" }, h("h1", {}, t("menu./system/users")),
      can("user:create") ? h("button", { type: "button", class: "primary", onclick: create }, t("users.create")) : null),
    h("div", { class: "filters" }, search, status),
    table.element);
  await table.first();
}

// The menu tree with a checkbox per entry; checking an entry checks its descendants.
function permissionTree(nodes, granted) {
  const inputs = [];
  const branch = (list) => h("ul", { class: "tree" }, list.map((node) => {
    const input = h("input", { type: "checkbox", id: `menu-${node.id}`, value: node.id, checked: granted.includes(node.id) });
    inputs.push(input);
    const children = node.children && node.children.length ? branch(node.children) : null;
    input.addEventListener("change", () => { if (children) for (const child of children.querySelectorAll("input")) child.checked = input.checked; });
    const label = node.permission ? `${node.name} (${node.permission})` : node.name;
    return h("li", {}, h("label", { for: input.id, class: "check" }, input, label), children);
  }));
  const element = h("fieldset", { class: "field permission-tree" }, h("legend", {}, t("roles.permissions")), branch(nodes));
  return { name: "menu_ids", input: inputs[0] || h("input", {}), error: h("span", { class: "field-error" }), element, ids: () => inputs.filter((input) => input.checked).map((input) => input.value) };
}

export async function roles(container, { can }) {
  const table = dataTable({
    label: t("menu./system/roles"),
    load: (page, size) => api.get(`/roles${api.query({ page, page_size: size })}`),
    columns: [
      { key: "code", title: t("roles.code") },
      { key: "name", title: t("roles.name") },
      { key: "description", title: t("roles.description") },
      { key: "is_active", title: t("users.status"), render: (role) => role.is_active ? t("users.active") : t("users.disabled") },
      { key: "actions", title: t("common.actions"), sortable: false, render: (role) => h("div", { class: "actions" },
        can("role:update") ? h("button", { type: "button", onclick: () => open(role) }, t("common.edit")) : null,
        can("role:delete") ? h("button", { type: "button", class: "danger", onclick: () => remove(role) }, t("common.delete")) : null) },
    ],
  });

  async function open(role) {
    const [menus, detail] = await Promise.all([api.get("/menus"), role ? api.get(`/roles/${role.id}`) : null]);
    const fields = [
      ...(role ? [] : [field("code", t("roles.code"), { required: true })]),
      field("name", t("roles.name"), { value: role && role.name, required: true }),
      field("description", t("roles.description"), { value: role && role.description }),
    ];
    const tree = permissionTree(menus, (detail && detail.menu_ids) || []);
    const value = (name) => fields.find((item) => item.name === name).input.value;
    const done = await formDialog(role ? t("roles.edit", { name: role.name }) : t("roles.create"), [...fields, tree], async () => {
      const saved = role
        ? await api.put(`/roles/${role.id}`, { name: value("name"), description: value("description") || null })
        : await api.post("/roles", { code: value("code"), name: value("name"), description: value("description") || null });
      await api.put(`/roles/${saved.id}/menus`, { menu_ids: tree.ids() });
    });
    if (done) { toast(t("common.saved"), "success"); table.reload(); }
  }

  async function remove(role) {
    if (!(await confirmAction(t("roles.confirmDelete", { name: role.name })))) return;
    try {
      await api.del(`/roles/${role.id}`);
      toast(t("common.deleted"), "success");
      table.reload();
    } catch (error) { toast(error.message, "error"); }
  }

  mount(container,
    h("div", { class: "page-head" }, h("h1", {}, t("menu./system/roles")),
      can("role:create") ? h("button", { type: "button", class: "primary", onclick: () => open(null) }, t("roles.create")) : null),
    table.element);
  await table.first();
}
