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
import { generation, generations, generationProjects } from "./page-generation.js";
import { knowledge, knowledgeBase } from "./page-knowledge.js";

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
  "/ai/knowledge": knowledge,
  "/testing/generations": generationProjects,
  placeholder,
};

// Pages whose path carries ids: each pattern's groups are handed to the page as `params`.
export const patterns = [
  [/^\/ai\/knowledge\/([\w-]+)$/, knowledgeBase],
  [/^\/testing\/projects\/([\w-]+)\/generations$/, generations],
  [/^\/testing\/projects\/([\w-]+)\/generations\/([\w-]+)$/, generation],
];
