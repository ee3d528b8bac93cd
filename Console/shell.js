// The frame around every page: sign-in, the forced password change, the navigation the
// caller's menus allow, the language and theme switches, and the page router.
import * as api from "./api.js";
import { h, mount, toast } from "./dom.js";
import { language, languages, setLanguage, t } from "./i18n.js";
import { linkHandler, navigate, onRoute } from "./router.js";
import { pageFor } from "./pages.js";
import { applyTheme, theme } from "./theme.js";
import { fieldMessage } from "./ui.js";

const app = document.getElementById("app");
const session = { profile: null, menus: [] };

const can = (permission) => Boolean(session.profile && (session.profile.user.is_superuser || session.profile.permissions.includes(permission)));

export async function start() {
  applyTheme(theme());
  api.whenSignedOut((error) => signIn(endedMessage(error) || t("login.expired")));
  onRoute(route);
  // A refresh cookie from an earlier visit signs in silently (the flag only spares a
  // visitor who never signed in here a refresh that must fail).
  const outcome = localStorage.getItem("console-signed-in") ? await api.refresh() : null;
  if (outcome === true) await enter();
  else signIn(endedMessage(outcome));
}

// A refresh token used twice (stolen, or replayed) ended the session: the user is told.
function endedMessage(error) {
  return error && error.code === "refresh_token_reused" ? t("login.replayed") : "";
}

async function enter() {
  localStorage.setItem("console-signed-in", "1");
  session.profile = await api.get("/auth/me");
  if (session.profile.user.password_change_required) return forcedPasswordChange();
  session.menus = await api.get("/auth/me/menus");
  navigate(location.pathname === "/" || location.pathname === "/login" ? "/dashboard" : location.pathname);
}

function signIn(message) {
  session.profile = null;
  localStorage.removeItem("console-signed-in");
  if (location.pathname !== "/login") history.replaceState(null, "", "/login");
  const error = h("p", { class: "form-error", role: "alert" }, message || "");
  const username = h("input", { id: "login-username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, t("login.submit"));
  const form = h("form", { class: "login-card", onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    try {
      await api.login(username.value, password.value);
      await enter();
    } catch (failure) {
      error.textContent = failure.status === 401 ? t("login.invalid") : failure.status === 429 ? t("login.throttled") : failure.message;
      submit.disabled = false;
      password.select();
    }
  } },
  h("h1", {}, t("app.title")),
  h("label", { for: "login-username" }, t("login.username")), username,
  h("label", { for: "login-password" }, t("login.password")), password,
  error, submit, languageSelect(() => signIn(message)));
  mount(app, h("main", { class: "login" }, form));
  username.focus();
}

function forcedPasswordChange() {
  const error = h("p", { class: "form-error", role: "alert" });
  const current = h("input", { id: "old-password", type: "password", autocomplete: "current-password", required: true });
  const next = h("input", { id: "new-password", type: "password", autocomplete: "new-password", required: true });
  const form = h("form", { class: "login-card", onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await api.changePassword(current.value, next.value);
      toast(t("profile.passwordChanged"), "success");
      await enter();
    } catch (failure) {
      error.textContent = fieldMessage(failure) || failure.message;
    }
  } },
  h("h1", {}, t("password.forcedTitle")), h("p", {}, t("password.forcedHint")),
  h("label", { for: "old-password" }, t("password.old")), current,
  h("label", { for: "new-password" }, t("password.new")), next,
  error, h("button", { type: "submit", class: "primary" }, t("password.change")),
  h("button", { type: "button", onclick: signOut }, t("nav.signOut")));
  mount(app, h("main", { class: "login" }, form));
  current.focus();
}

async function signOut() {
  await api.logout();
  signIn(t("login.signedOut"));
}

function languageSelect(rerender) {
  return h("select", { "aria-label": t("nav.language"), class: "language", onchange: (event) => { setLanguage(event.target.value); rerender(); } },
    languages.map(([code, name]) => h("option", { value: code, selected: code === language() }, name)));
}

function menuLabel(item) { return t(`menu.${item.path}`) === `menu.${item.path}` ? item.name : t(`menu.${item.path}`); }

function navigation(current) {
  const entry = (item) => item.type === "catalog"
    ? h("li", {}, h("span", { class: "nav-group" }, menuLabel(item)), h("ul", {}, (item.children || []).map(entry)))
    : h("li", {}, h("a", { href: item.path, onclick: linkHandler, "aria-current": current === item.path ? "page" : null }, menuLabel(item)));
  return h("nav", { class: "sidebar", "aria-label": t("nav.main") },
    h("div", { class: "brand" }, t("app.title")),
    h("ul", {}, session.menus.map(entry),
      can("testcase:read") ? h("li", {}, h("a", { href: "/testing/generations", onclick: linkHandler, "aria-current": current === "/testing/generations" ? "page" : null }, t("generation.nav"))) : null,
      h("li", {}, h("a", { href: "/docs", target: "_blank", rel: "noopener" }, t("nav.apiReference")))));
}

async function route(path) {
  if (!session.profile) return signIn();
  if (path === "/" || path === "/login") path = "/dashboard";
  const content = h("main", { class: "content", id: "content", tabindex: "-1" });
  const header = h("header", { class: "topbar" },
    h("span", { class: "spacer" }),
    languageSelect(() => route(location.pathname)),
    h("button", { type: "button", "aria-label": t("nav.theme"), onclick: () => applyTheme(theme() === "dark" ? "light" : "dark") }, t("nav.theme")),
    h("a", { href: "/profile", onclick: linkHandler }, session.profile.user.nickname || session.profile.user.username),
    h("button", { type: "button", onclick: signOut }, t("nav.signOut")));
  const { page, menu } = pageFor(path);
  mount(app, h("div", { class: "layout" }, navigation(menu), h("div", { class: "main" }, header, content)));
  document.title = `${t(`menu.${menu}`)} · ${t("app.title")}`;
  try {
    await page(content, {
      can, path, profile: session.profile, navigate,
      refreshProfile: async () => { session.profile = await api.get("/auth/me"); },
      // After a language change the whole frame is drawn again.
      redraw: () => route(location.pathname),
    });
  } catch (error) {
    if (error instanceof api.APIError && error.status === 401) return;
    mount(content, h("p", { class: "form-error", role: "alert" }, error.status === 403 ? t("common.forbidden") : error.message));
  }
}
