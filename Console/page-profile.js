// The caller's own details, password change, language and theme.
import * as api from "./api.js";
import { formatDate, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { field, fieldMessage, showFieldErrors } from "./ui.js";

export async function profile(container, { profile: me, refreshProfile }) {
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
    h("section", { class: "panel" }, h("h2", {}, t("profile.preferences")), h("p", { class: "muted" }, t("profile.preferencesHint"))));
}
