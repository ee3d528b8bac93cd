// The console's pages by path (the menu tree's paths); others show a placeholder.
import { h, mount } from "./dom.js";
import { t } from "./i18n.js";
import { dashboard } from "./page-dashboard.js";
import { roles, users } from "./page-admin.js";
import { models } from "./page-models.js";
import { agents } from "./page-agents.js";
import { departments, menus, settings } from "./page-system.js";
import { chat } from "./page-chat.js";
import { audit, systemLogs } from "./page-logs.js";
import { profile } from "./page-profile.js";
import { casesMenu, endpointsMenu, projects, reportsMenu, runs, tokens } from "./page-testing.js";
import { generations } from "./page-generation.js";
import { knowledge } from "./page-knowledge.js";

function placeholder(container, { path }) {
  mount(container, h("h1", {}, t(`menu.${path}`)), h("p", { class: "muted" }, t("common.notYet")), h("p", {}, h("a", { href: "/docs", target: "_blank", rel: "noopener" }, t("nav.apiReference"))));
}

export const pages = {
  "/dashboard": dashboard,
  "/system/users": users,
  "/system/roles": roles,
  "/ai/models": models,
  "/ai/agents": agents,
  "/ai/chat": chat,
  "/system/audit": audit,
  "/system/logs": systemLogs,
  "/system/menus": menus,
  "/system/departments": departments,
  "/system/settings": settings,
  "/profile": profile,
  "/testing/projects": projects,
  "/testing/endpoints": endpointsMenu,
  "/testing/cases": casesMenu,
  "/testing/runs": runs,
  "/testing/reports": reportsMenu,
  "/testing/tokens": tokens,
  "/ai/knowledge": knowledge,
  "/testing/generations": generations,
  placeholder,
};

// A path below a page (a project's tab, a run) belongs to the page of its longest known prefix.
export function pageFor(path) {
  for (let prefix = path; prefix; prefix = prefix.slice(0, prefix.lastIndexOf("/"))) {
    if (pages[prefix]) return { page: pages[prefix], menu: prefix };
  }
  return { page: placeholder, menu: path };
}
