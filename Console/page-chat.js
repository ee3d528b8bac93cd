// Chat: sessions (new with a model or an agent, rename, delete, export) and a conversation
// whose answer streams token by token. Stop drops the stream, which cancels the provider's
// call; Regenerate replaces the last answer; an answer cut by an error stays, marked partial.
// Knowledge bases attached to a session ground its answers, whose [n] open the cited passage.
import * as api from "./api.js";
import { formatDate, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { renderMarkdown } from "./markdown.js";
import { confirmAction, field, formDialog } from "./ui.js";
import { citedNodes, knowledgeChoice } from "./page-knowledge.js";

export async function chat(container) {
  const state = { sessions: [], current: null, messages: [], streaming: null };
  const list = h("ul", { class: "session-list", "aria-label": t("chat.sessions") });
  const conversation = h("div", { class: "conversation", "aria-live": "polite" });
  const input = h("textarea", { id: "chat-input", rows: 3, placeholder: t("chat.placeholder"), "aria-label": t("chat.placeholder") });
  const send = h("button", { type: "submit", class: "primary", id: "chat-send" }, t("chat.send"));
  const stop = h("button", { type: "button", id: "chat-stop", hidden: true, onclick: () => state.streaming && state.streaming.abort() }, t("chat.stop"));
  const regenerate = h("button", { type: "button", id: "chat-regenerate", onclick: () => run("regenerate") }, t("chat.regenerate"));
  const composer = h("form", { class: "composer", onsubmit: (event) => { event.preventDefault(); run("send"); } }, input, h("div", { class: "actions" }, send, stop, regenerate));
  input.addEventListener("keydown", (event) => { if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) composer.requestSubmit(); });

  async function loadSessions() {
    state.sessions = (await api.get("/chat/sessions?page_size=100")).items;
    mount(list, state.sessions.length ? state.sessions.map((session) => h("li", { class: state.current && state.current.id === session.id ? "active" : "" },
      h("button", { type: "button", class: "link", onclick: () => open(session.id) }, session.title),
      h("span", { class: "muted small" }, formatDate(session.updated_at || session.created_at)))) : h("li", { class: "empty" }, t("chat.noSessions")));
  }

  async function open(id) {
    state.current = await api.get(`/chat/sessions/${id}`);
    state.messages = state.current.messages || [];
    await loadSessions();
    draw();
  }

  function messageNode(message) {
    const body = h("div", { class: "message-body" }, citedNodes(renderMarkdown(message.content), message.citations));
    const notes = { streaming: "chat.streaming", stopped: "chat.stoppedNote", partial: "chat.partial", error: "chat.failed" };
    const note = message.role === "assistant" && notes[message.status]
      ? h("div", { class: `message-note note-${message.status}` }, t(notes[message.status], { error: message.error || "" })) : null;
    return h("article", { class: `message ${message.role}`, "data-role": message.role }, h("div", { class: "message-role" }, t(`chat.role.${message.role}`)), body, note);
  }

  function draw() {
    if (!state.current) {
      mount(conversation, h("p", { class: "empty" }, t("chat.pick")));
      composer.hidden = true;
      return;
    }
    composer.hidden = false;
    mount(conversation,
      h("div", { class: "conversation-head" }, h("h2", {}, state.current.title),
        state.current.knowledge_base_ids.length ? h("span", { class: "muted", id: "chat-knowledge-note" }, t("knowledge.chatAttached", { count: state.current.knowledge_base_ids.length })) : null,
        h("div", { class: "actions" },
          h("button", { type: "button", onclick: rename }, t("chat.rename")),
          h("button", { type: "button", onclick: exportSession }, t("chat.export")),
          h("button", { type: "button", class: "danger", onclick: remove }, t("common.delete")))),
      state.messages.map(messageNode));
    regenerate.disabled = !state.messages.some((message) => message.role === "assistant") || Boolean(state.streaming);
    conversation.scrollTop = conversation.scrollHeight;
  }

  async function run(kind) {
    if (!state.current || state.streaming) return;
    const content = input.value.trim();
    if (kind === "send" && !content) return;
    if (kind === "send") {
      state.messages.push({ role: "user", content, status: "complete" });
      input.value = "";
    } else {
      // The last answer is replaced.
      const last = state.messages.map((message) => message.role).lastIndexOf("assistant");
      if (last >= 0) state.messages.splice(last, 1);
    }
    const answer = { role: "assistant", content: "", status: "streaming" };
    state.messages.push(answer);
    draw();
    const bubble = conversation.lastElementChild;
    const body = bubble.querySelector(".message-body");
    let pending = false;
    // At most one render per frame, however fast the pieces come.
    const repaint = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; mount(body, citedNodes(renderMarkdown(answer.content), answer.citations)); conversation.scrollTop = conversation.scrollHeight; });
    };
    const controller = new AbortController();
    state.streaming = controller;
    send.disabled = true;
    regenerate.disabled = true;
    stop.hidden = false;
    try {
      const path = kind === "send" ? `/chat/sessions/${state.current.id}/messages` : `/chat/sessions/${state.current.id}/regenerate`;
      await api.stream(path, kind === "send" ? { content, stream: true } : { stream: true }, (name, data) => {
        if (name === "citations") answer.citations = data.citations;
        else if (name === "delta") { answer.content += data.text; repaint(); }
        else if (name === "done") answer.status = "complete";
        else if (name === "error") { answer.status = answer.content ? "partial" : "error"; answer.error = data.message; }
      }, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) answer.status = "stopped";
      else { answer.status = answer.content ? "partial" : "error"; answer.error = error.message; }
    }
    state.streaming = null;
    send.disabled = false;
    stop.hidden = true;
    draw();
    if (answer.status === "stopped") toast(t("chat.stopped"));
    loadSessions();
  }

  async function newChat() {
    const [modelList, agentList] = await Promise.all([
      api.get("/models?page_size=100").then((page) => page.items).catch(() => []),
      api.get("/agents?page_size=100").then((page) => page.items).catch(() => []),
    ]);
    const options = [...modelList.map((model) => [`model:${model.id}`, `${t("chat.model")}: ${model.name}`]), ...agentList.map((agent) => [`agent:${agent.id}`, `${t("chat.agent")}: ${agent.name}`])];
    if (!options.length) { toast(t("chat.noTargets"), "error"); return; }
    const title = field("title", t("chat.title"), { value: t("chat.newTitle") });
    const target = field("target", t("chat.with"), { options });
    const bases = await knowledgeChoice("chat-knowledge");
    const created = await formDialog(t("chat.new"), [title, target, ...(bases ? [bases.field] : [])], () => {
      const [kind, id] = target.input.value.split(":");
      const knowledge = bases ? bases.selected() : [];
      return api.post("/chat/sessions", { title: title.input.value, [kind === "model" ? "model_config_id" : "agent_id"]: id,
        knowledge_base_ids: knowledge.length ? knowledge : undefined });
    });
    if (created) await open(created.id);
  }

  async function rename() {
    const title = field("title", t("chat.title"), { value: state.current.title, required: true });
    const saved = await formDialog(t("chat.rename"), [title], () => api.put(`/chat/sessions/${state.current.id}`, { title: title.input.value }));
    if (saved) await open(state.current.id);
  }

  async function remove() {
    if (!(await confirmAction(t("chat.confirmDelete", { name: state.current.title })))) return;
    await api.del(`/chat/sessions/${state.current.id}`);
    state.current = null;
    await loadSessions();
    draw();
  }

  function exportSession() {
    api.download(`/chat/sessions/${state.current.id}/export?format=markdown`, `${state.current.title}.md`).catch((error) => toast(error.message, "error"));
  }

  mount(container, h("h1", {}, t("menu./ai/chat")), h("div", { class: "chat" },
    h("aside", { class: "chat-sessions" }, h("button", { type: "button", class: "primary", id: "chat-new", onclick: newChat }, t("chat.new")), list),
    h("section", { class: "chat-main" }, conversation, composer)));
  await loadSessions();
  draw();
}
