// The environment editor: base URLs per service, variables (a secret one shows as the mask,
// is never shown again, and is kept unless a new value is typed), default headers, the auth
// preset (OAuth2 client credentials included), TLS, timeout and redirects.
import * as api from "./api.js";
import { h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { projectFrame, projectPath } from "./testing-common.js";
import { confirmAction, showFieldErrors } from "./ui.js";

const MASK = "***";

// Rows of inputs for a list of pairs, with add and remove.
export function pairRows(label, pairs, { secretToggle = false, keyName = t("testing.name"), valueName = t("testing.value"), disabled = false } = {}) {
  const body = h("tbody", {});
  const rows = [];
  function add(pair = {}) {
    const key = h("input", { "aria-label": keyName, value: pair.name ?? "", disabled });
    const secret = secretToggle ? h("input", { type: "checkbox", "aria-label": t("testing.secret"), checked: pair.secret, disabled }) : null;
    const stored = pair.secret && pair.value === MASK;
    const value = h("input", { "aria-label": valueName, value: stored ? "" : pair.value ?? "", disabled,
      type: pair.secret ? "password" : "text", placeholder: stored ? t("testing.secretKept") : "", autocomplete: "off" });
    if (secret) secret.addEventListener("change", () => { value.type = secret.checked ? "password" : "text"; });
    const row = { key, value, secret, stored };
    const element = h("tr", {}, h("td", {}, key), h("td", {}, value), secretToggle ? h("td", {}, secret) : null,
      h("td", {}, disabled ? null : h("button", { type: "button", class: "danger", "aria-label": t("common.delete"), onclick: () => { rows.splice(rows.indexOf(row), 1); element.remove(); } }, "×")));
    rows.push(row);
    body.append(element);
  }
  pairs.forEach(add);
  const element = h("fieldset", { class: "field" }, h("legend", {}, label),
    h("table", { class: "pairs" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, keyName), h("th", { scope: "col" }, valueName),
      secretToggle ? h("th", { scope: "col" }, t("testing.secret")) : null, h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("common.actions"))))), body),
    disabled ? null : h("button", { type: "button", onclick: () => add() }, t("testing.addRow")));
  return {
    element,
    // A secret left empty is sent as the mask, which keeps the stored value.
    variables: () => rows.filter((row) => row.key.value).map((row) => ({ name: row.key.value, secret: Boolean(row.secret && row.secret.checked),
      value: row.stored && row.value.value === "" ? MASK : row.value.value })),
    object: () => Object.fromEntries(rows.filter((row) => row.key.value).map((row) => [row.key.value, row.value.value])),
  };
}

// The auth preset's inputs by type; credentials already stored show empty and are kept.
export function authEditor(auth = { type: "none" }, { disabled = false, idPrefix = "auth" } = {}) {
  const type = h("select", { id: `${idPrefix}-type`, disabled }, ["none", "bearer", "basic", "api_key", "oauth2_client_credentials"]
    .map((value) => h("option", { value, selected: value === auth.type }, t(`testing.auth.${value}`))));
  const inputs = {};
  const fieldsByType = {
    bearer: ["token"], basic: ["username", "password"], api_key: ["name", "value", "in"],
    oauth2_client_credentials: ["token_url", "client_id", "client_secret", "scope", "client_auth"],
  };
  const secret = new Set(["token", "password", "value", "client_secret"]);
  const box = h("div", { class: "grid-form" });
  function draw() {
    mount(box, (fieldsByType[type.value] || []).map((name) => {
      const id = `${idPrefix}-${name}`;
      const stored = secret.has(name) && auth[name] === MASK;
      inputs[name] = name === "in" ? h("select", { id, disabled }, ["header", "query"].map((value) => h("option", { value, selected: auth.in === value }, value)))
        : name === "client_auth" ? h("select", { id, disabled }, ["basic", "body"].map((value) => h("option", { value, selected: auth.client_auth === value }, value)))
        : h("input", { id, disabled, type: secret.has(name) ? "password" : "text", autocomplete: "off", value: stored ? "" : auth[name] ?? "", placeholder: stored ? t("testing.secretKept") : "" });
      inputs[name].dataset.stored = stored ? "1" : "";
      return h("label", { for: id, class: "field" }, t(`testing.authField.${name}`), inputs[name]);
    }));
  }
  type.addEventListener("change", draw);
  draw();
  return {
    element: h("fieldset", { class: "field" }, h("legend", {}, t("testing.authPreset")), h("label", { for: type.id, class: "field" }, t("testing.authType"), type), box),
    value: () => {
      const result = { type: type.value };
      for (const name of fieldsByType[type.value] || []) {
        const input = inputs[name];
        result[name] = input.dataset.stored && input.value === "" ? MASK : input.value || null;
      }
      return result;
    },
  };
}

export async function environmentEditor(container, { project, item, can, navigate }) {
  const environment = item === "new" ? { name: "", base_urls: { default: "" }, variables: [], headers: {}, auth: { type: "none" }, verify_tls: true, timeout_ms: 30000, follow_redirects: true, max_redirects: 5 }
    : await api.get(`/projects/${project.id}/environments/${item}`);
  const disabled = !can("project:update");
  const name = h("input", { id: "env-name", value: environment.name, required: true, disabled });
  const nameError = h("span", { class: "field-error" });
  const baseURLs = pairRows(t("testing.baseURLs"), Object.entries(environment.base_urls).map(([key, value]) => ({ name: key, value })), { keyName: t("testing.service"), valueName: t("testing.url"), disabled });
  const variables = pairRows(t("testing.variables"), environment.variables, { secretToggle: true, disabled });
  const headers = pairRows(t("testing.defaultHeaders"), Object.entries(environment.headers).map(([key, value]) => ({ name: key, value })), { disabled });
  const auth = authEditor(environment.auth, { disabled });
  const verify = h("input", { id: "env-tls", type: "checkbox", checked: environment.verify_tls, disabled });
  const timeout = h("input", { id: "env-timeout", type: "number", min: 1, value: environment.timeout_ms, disabled });
  const follow = h("input", { id: "env-follow", type: "checkbox", checked: environment.follow_redirects, disabled });
  const redirects = h("input", { id: "env-redirects", type: "number", min: 0, max: 20, value: environment.max_redirects, disabled });
  const error = h("p", { class: "form-error", role: "alert" });

  async function save(event) {
    event.preventDefault();
    error.textContent = "";
    const body = { name: name.value, base_urls: baseURLs.object(), variables: variables.variables(), headers: headers.object(), auth: auth.value(),
      verify_tls: verify.checked, timeout_ms: Number(timeout.value), follow_redirects: follow.checked, max_redirects: Number(redirects.value) };
    try {
      const saved = item === "new" ? await api.post(`/projects/${project.id}/environments`, body) : await api.put(`/projects/${project.id}/environments/${item}`, body);
      toast(t("common.saved"), "success");
      navigate(projectPath(project.id, "environments", saved.id));
    } catch (failure) {
      if (!showFieldErrors([{ name: "name", error: nameError }], failure)) error.textContent = failure.message;
    }
  }
  async function remove() {
    if (!(await confirmAction(t("testing.confirmDelete", { name: environment.name })))) return;
    try { await api.del(`/projects/${project.id}/environments/${item}`); navigate(projectPath(project.id, "settings")); } catch (failure) { toast(failure.message, "error"); }
  }
  const check = (input, text) => h("label", { for: input.id, class: "check" }, input, text);
  projectFrame(container, project, "settings",
    h("form", { class: "panel form environment", onsubmit: save },
      h("h2", {}, item === "new" ? t("testing.newEnvironment") : environment.name),
      h("label", { for: name.id, class: "field" }, t("testing.name"), name, nameError),
      baseURLs.element, variables.element, headers.element, auth.element,
      h("fieldset", { class: "field" }, h("legend", {}, t("testing.transport")),
        check(verify, t("testing.verifyTLS")), check(follow, t("testing.followRedirects")),
        h("label", { for: timeout.id, class: "field" }, t("testing.timeoutMs"), timeout),
        h("label", { for: redirects.id, class: "field" }, t("testing.maxRedirects"), redirects)),
      error,
      disabled ? null : h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("common.save")),
        item === "new" ? null : h("button", { type: "button", class: "danger", onclick: remove }, t("common.delete")))));
  name.focus();
}
