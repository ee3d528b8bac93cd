// Schedules (cron in words, the next five fire times, time zone, enable or disable, history)
// and notification channels (with a test button).
import * as api from "./api.js";
import { dialog, formatDate, h, toast } from "./dom.js";
import { t } from "./i18n.js";
import { allItems, link, projectFrame, projectPath, statusBadge } from "./testing-common.js";
import { confirmAction, field, formDialog } from "./ui.js";

// The config fields each channel type reads (ChannelConfig.fields(of:) on the server).
const CHANNEL_FIELDS = {
  webhook: ["url", "secret"], dingtalk: ["url", "secret"], feishu: ["url", "secret"], wecom: ["url"], slack: ["url"],
  email: ["host", "port", "username", "password", "from", "to", "starttls"],
};

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

function describeField(value, unit, name = (item) => item) {
  if (value === "*") return t(`testing.cron.every.${unit}`);
  const step = value.match(/^\*\/(\d+)$/);
  if (step) return t(`testing.cron.step.${unit}`, { n: step[1] });
  return value.split(",").map((part) => part.includes("-") ? part.split("-").map(name).join("–") : name(part)).join(", ");
}

// "0 2 * * 1-5" in words: minute, hour, day of month, month and weekday, each as written.
export function describeCron(expression) {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) return expression;
  const [minute, hour, day, month, weekday] = parts;
  const time = /^\d+$/.test(minute) && /^\d+$/.test(hour) ? t("testing.cron.at", { time: `${hour.padStart(2, "0")}:${minute.padStart(2, "0")}` })
    : `${t("testing.cron.minute")} ${describeField(minute, "minute")}, ${t("testing.cron.hour")} ${describeField(hour, "hour")}`;
  const dayName = (item) => /^\d+$/.test(item) ? t(`testing.cron.day.${DAYS[Number(item) % 7]}`) : item;
  const pieces = [time];
  if (day !== "*") pieces.push(`${t("testing.cron.dayOfMonth")} ${describeField(day, "day")}`);
  if (month !== "*") pieces.push(`${t("testing.cron.month")} ${describeField(month, "month")}`);
  if (weekday !== "*") pieces.push(describeField(weekday, "weekday", dayName));
  return pieces.join(", ");
}

export async function schedulesTab(container, { project, can, navigate }) {
  const [schedules, suites, environments, channels] = await Promise.all([
    allItems(`/projects/${project.id}/schedules`), allItems(`/projects/${project.id}/suites`), allItems(`/projects/${project.id}/environments`),
    allItems(`/projects/${project.id}/notifications`),
  ]);
  const editable = can("testrun:update") || can("testrun:create");
  const nameOf = (items, id) => (items.find((item) => item.id === id) || {}).name || id;
  const reload = () => navigate(projectPath(project.id, "schedules"));

  async function editSchedule(schedule) {
    const cron = field("cron", t("testing.cronLabel"), { value: schedule ? schedule.cron : "0 2 * * *", required: true });
    const words = h("p", { class: "muted small", "aria-live": "polite" }, describeCron(cron.input.value));
    cron.input.addEventListener("input", () => { words.textContent = describeCron(cron.input.value); });
    cron.element.append(words);
    const fields = [
      cron,
      field("timezone", t("testing.timezone"), { value: schedule ? schedule.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" }),
      field("suite_id", t("testing.suite"), { options: suites.map((suite) => [suite.id, suite.name]), value: schedule && schedule.suite_id }),
      field("environment_id", t("testing.environment"), { options: environments.map((environment) => [environment.id, environment.name]), value: schedule && schedule.environment_id }),
      field("on_missed", t("testing.onMissed"), { options: [["skip", t("testing.missed.skip")], ["run_once", t("testing.missed.run_once")]], value: schedule ? schedule.on_missed : "skip" }),
    ];
    const value = (name) => fields.find((item) => item.name === name).input.value;
    const saved = await formDialog(schedule ? t("testing.editSchedule") : t("testing.newSchedule"), fields, () => {
      const body = { cron: value("cron"), timezone: value("timezone"), suite_id: value("suite_id"), environment_id: value("environment_id"), on_missed: value("on_missed") };
      return schedule ? api.put(`/projects/${project.id}/schedules/${schedule.id}`, body) : api.post(`/projects/${project.id}/schedules`, body);
    });
    if (saved) reload();
  }

  async function toggle(schedule) {
    await api.post(`/projects/${project.id}/schedules/${schedule.id}/${schedule.enabled ? "pause" : "resume"}`);
    reload();
  }

  async function history(schedule) {
    const firings = (await api.get(`/projects/${project.id}/schedules/${schedule.id}/firings?page_size=50`)).items;
    await dialog(t("testing.history"), firings.length ? h("table", { class: "data" },
      h("thead", {}, h("tr", {}, [t("testing.fireTime"), t("audit.status"), t("testing.run")].map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, firings.map((firing) => h("tr", {}, h("td", {}, formatDate(firing.fire_time)), h("td", {}, firing.status),
        h("td", {}, firing.run_id ? link(`/testing/runs/${firing.run_id}`, firing.run_id.slice(0, 8)) : ""))))) : h("p", { class: "empty" }, t("table.empty")),
    [{ label: t("common.close"), value: true, class: "primary" }]);
  }

  async function remove(path, name) {
    if (!(await confirmAction(t("testing.confirmDelete", { name })))) return;
    try { await api.del(path); reload(); } catch (error) { toast(error.message, "error"); }
  }

  // Each type shows only the fields it reads (the API refuses any other): a URL (and a signing
  // secret for webhook, DingTalk and Feishu), or for e-mail the SMTP server and recipients.
  // A secret left empty keeps the stored one.
  async function editChannel(channel) {
    const config = (channel && channel.config) || {};
    const fields = [
      field("name", t("testing.name"), { value: channel && channel.name, required: true }),
      field("type", t("testing.channelType"), { options: Object.keys(CHANNEL_FIELDS).map((type) => [type, type]), value: channel && channel.type }),
      field("url", t("testing.url"), { value: config.url, placeholder: "https://" }),
      field("secret", t("testing.channelSecret"), { type: "password", placeholder: channel ? t("testing.secretKept") : "" }),
      field("host", t("testing.smtpHost"), { value: config.host, placeholder: "smtp.example.com" }),
      field("port", t("testing.smtpPort"), { type: "number", value: config.port, placeholder: "587" }),
      field("username", t("testing.smtpUsername"), { value: config.username }),
      field("password", t("testing.smtpPassword"), { type: "password", placeholder: channel ? t("testing.secretKept") : "" }),
      field("from", t("testing.emailFrom"), { value: config.from, placeholder: "tests@example.com" }),
      field("to", t("testing.emailTo"), { value: (config.to || []).join(", ") }),
      field("starttls", t("testing.smtpStarttls"), { options: [["true", t("testing.yes")], ["false", t("testing.no")]], value: String(config.starttls ?? true) }),
    ];
    const byName = Object.fromEntries(fields.map((item) => [item.name, item]));
    const value = (name) => byName[name].input.value.trim();
    const show = () => {
      const used = CHANNEL_FIELDS[value("type")];
      for (const item of fields.slice(2)) item.element.hidden = !used.includes(item.name);
    };
    byName.type.input.addEventListener("change", show);
    show();
    const saved = await formDialog(channel ? channel.name : t("testing.newChannel"), fields, () => {
      const settings = {};
      for (const name of CHANNEL_FIELDS[value("type")]) {
        const text = value(name);
        if (!text) continue;
        settings[name] = name === "port" ? Number(text) : name === "starttls" ? text === "true" : name === "to" ? text.split(",").map((item) => item.trim()).filter(Boolean) : text;
      }
      const body = { name: value("name"), type: value("type"), config: settings, events: ["run_failed", "run_recovered"] };
      return channel ? api.put(`/projects/${project.id}/notifications/${channel.id}`, body) : api.post(`/projects/${project.id}/notifications`, body);
    });
    if (saved) reload();
  }

  async function testChannel(channel) {
    try {
      await api.post(`/projects/${project.id}/notifications/${channel.id}/test`);
      toast(t("testing.channelTestSent"), "success");
    } catch (error) { toast(error.message, "error"); }
  }

  const headRow = (titles) => h("thead", {}, h("tr", {}, titles.map((title) => h("th", { scope: "col" }, title))));
  projectFrame(container, project, "schedules",
    h("section", { class: "panel" }, h("div", { class: "page-head" }, h("h2", {}, t("testing.schedules")),
      editable ? h("button", { type: "button", class: "primary", onclick: () => editSchedule(null) }, t("testing.newSchedule")) : null),
    schedules.length ? h("table", { class: "data" }, headRow([t("testing.cronLabel"), t("testing.suite"), t("testing.environment"), t("testing.nextFires"), t("audit.status"), t("common.actions")]),
      h("tbody", {}, schedules.map((schedule) => h("tr", {},
        h("td", {}, h("code", {}, schedule.cron), h("div", { class: "muted small" }, describeCron(schedule.cron), " · ", schedule.timezone)),
        h("td", {}, nameOf(suites, schedule.suite_id)), h("td", {}, nameOf(environments, schedule.environment_id)),
        h("td", {}, h("ol", { class: "fire-times" }, schedule.next_fire_times.slice(0, 5).map((time) => h("li", {}, formatDate(time))))),
        h("td", {}, statusBadge(schedule.enabled ? "enabled" : "paused")),
        h("td", {}, h("div", { class: "actions" },
          h("button", { type: "button", onclick: () => history(schedule) }, t("testing.history")),
          editable ? h("button", { type: "button", onclick: () => toggle(schedule) }, schedule.enabled ? t("testing.disable") : t("testing.enable")) : null,
          editable ? h("button", { type: "button", onclick: () => editSchedule(schedule) }, t("common.edit")) : null,
          editable ? h("button", { type: "button", class: "danger", onclick: () => remove(`/projects/${project.id}/schedules/${schedule.id}`, schedule.cron) }, t("common.delete")) : null)))))) : h("p", { class: "empty" }, t("table.empty"))),
    h("section", { class: "panel" }, h("div", { class: "page-head" }, h("h2", {}, t("testing.channels")),
      can("project:update") ? h("button", { type: "button", class: "primary", onclick: () => editChannel(null) }, t("testing.newChannel")) : null),
    channels.length ? h("table", { class: "data" }, headRow([t("testing.name"), t("testing.channelType"), t("audit.status"), t("common.actions")]),
      h("tbody", {}, channels.map((channel) => h("tr", {}, h("td", {}, channel.name), h("td", {}, channel.type), h("td", {}, statusBadge(channel.enabled ? "enabled" : "paused")),
        h("td", {}, h("div", { class: "actions" },
          can("project:update") ? h("button", { type: "button", onclick: () => testChannel(channel) }, t("testing.testChannel")) : null,
          can("project:update") ? h("button", { type: "button", onclick: () => editChannel(channel) }, t("common.edit")) : null,
          can("project:update") ? h("button", { type: "button", class: "danger", onclick: () => remove(`/projects/${project.id}/notifications/${channel.id}`, channel.name) }, t("common.delete")) : null)))))) : h("p", { class: "empty" }, t("table.empty"))));
}
