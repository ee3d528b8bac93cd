// The caller's own details, password change, language and theme.
import * as api from "./api.js";
import { formatDate, h, mount, toast } from "./dom.js";
import { language, languages, setLanguage, t } from "./i18n.js";
import { applyTheme, theme } from "./theme.js";
import { field, fieldMessage, showFieldErrors } from "./ui.js";

export async function profile(container, { profile: me, refreshProfile, redraw }) {
  const user = me.user;
  const details = [field("nickname", t("users.nickname"), { value: user.nickname }), field("email", t("users.email"), { type: "email", value: user.email })];
  const detailsError = h("p", { class: "form-error", role: "alert" });
  const detailsForm = h("form", { class: "form panel", onsubmit: async (event) => {
    event.preventDefault();
    detailsError.textContent = "";
    try {
      await api.put(`/users/${user.id}`, { nickname: details[0].input.value || null, email: details[1].input.value || null });
      await refreshProfile();
      toast(t("common.saved"), "success");
    } catch (error) { if (!showFieldErrors(details, error)) detailsError.textContent = fieldMessage(error) || error.message; }
  } }, h("h2", {}, t("profile.details")),
  h("p", {}, h("strong", {}, user.username), " · ", (me.roles || []).join(", "), " · ", t("users.lastLogin"), ": ", formatDate(user.last_login_at)),
  details.map((item) => item.element), detailsError, h("button", { type: "submit", class: "primary" }, t("common.save")));

  const passwords = [field("old_password", t("password.old"), { type: "password", autocomplete: "current-password" }), field("new_password", t("password.new"), { type: "password", autocomplete: "new-password" })];
  const passwordError = h("p", { class: "form-error", role: "alert" });
  const passwordForm = h("form", { class: "form panel", onsubmit: async (event) => {
    event.preventDefault();
    passwordError.textContent = "";
    try {
      await api.changePassword(passwords[0].input.value, passwords[1].input.value);
      for (const item of passwords) item.input.value = "";
      toast(t("profile.passwordChanged"), "success");
    } catch (error) { if (!showFieldErrors(passwords, error)) passwordError.textContent = fieldMessage(error) || error.message; }
  } }, h("h2", {}, t("password.change")), passwords.map((item) => item.element), passwordError, h("button", { type: "submit", class: "primary" }, t("password.change")));

  mount(container, h("h1", {}, t("menu./profile")), detailsForm, passwordForm,
    h("section", { class: "panel form" }, h("h2", {}, t("profile.preferences")),
      h("label", { for: "profile-language" }, t("nav.language")),
      h("select", { id: "profile-language", onchange: (event) => { setLanguage(event.target.value); redraw(); } },
        languages.map(([code, name]) => h("option", { value: code, selected: code === language() }, name))),
      h("label", { for: "profile-theme" }, t("profile.theme")),
      h("select", { id: "profile-theme", onchange: (event) => applyTheme(event.target.value) },
        ["light", "dark"].map((name) => h("option", { value: name, selected: name === theme() }, t(`profile.theme.${name}`))))));
}
