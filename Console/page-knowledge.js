// Knowledge bases: the list with create and edit (embedding model, chunking), and a base's
// page: documents dropped or picked several at a time, each upload with its own progress bar
// (XMLHttpRequest reports upload progress, fetch does not), ingestion status polled while any
// document is still queued or processing, failed documents with their reason and a retry, and
// the search playground.
import * as api from "./api.js";
import { dialog, formatDate, formatNumber, h, mount, toast } from "./dom.js";
import { t } from "./i18n.js";
import { linkHandler } from "./router.js";
import { dataTable } from "./table.js";
import { confirmAction, field, formDialog } from "./ui.js";

const POLL_MS = 1000;

// Models that can embed: OpenAI's wire format only (the API refuses the others).
async function embeddingModels() {
  const models = await api.get("/models?page_size=100").then((page) => page.items).catch(() => []);
  return models.filter((model) => model.provider === "openai" || model.provider === "openai_compatible");
}

// `/ai/knowledge`, and a base's page at `/ai/knowledge/{id}`.
export function knowledge(container, context) {
  const baseID = context.path.split("/")[3];
  return baseID ? knowledgeBase(container, context, baseID) : knowledgeBases(container, context);
}

async function knowledgeBases(container, { can }) {
  const models = await embeddingModels();
  const modelName = (id) => (models.find((model) => model.id === id) || {}).name || (id ? id.slice(0, 8) : t("knowledge.keywordOnly"));
  const table = dataTable({
    label: t("menu./ai/knowledge"),
    load: (page, size) => api.get(`/knowledge-bases${api.query({ page, page_size: size })}`),
    columns: [
      { key: "name", title: t("models.name"), render: (base) => h("a", { href: `/ai/knowledge/${base.id}`, onclick: linkHandler }, base.name) },
      { key: "embedding_model_id", title: t("knowledge.embeddingModel"), render: (base) => modelName(base.embedding_model_id) },
      { key: "chunking", title: t("knowledge.chunking"), render: (base) => `${t(`knowledge.chunking.${base.chunking}`)} · ${base.chunk_size} / ${base.chunk_overlap}` },
      { key: "document_count", title: t("knowledge.documents") },
      { key: "actions", title: t("common.actions"), sortable: false, render: (base) => h("div", { class: "actions" },
        can("knowledge:update") ? h("button", { type: "button", onclick: () => edit(base) }, t("common.edit")) : null,
        can("knowledge:delete") ? h("button", { type: "button", class: "danger", onclick: () => remove(base) }, t("common.delete")) : null) },
    ],
  });

  async function edit(base) {
    const fields = [
      field("name", t("models.name"), { value: base && base.name, required: true }),
      field("description", t("knowledge.description"), { multiline: true, rows: 2, value: base && base.description }),
      field("embedding_model_id", t("knowledge.embeddingModel"), { value: (base && base.embedding_model_id) || "",
        options: [["", t("knowledge.keywordOnly")], ...models.map((model) => [model.id, `${model.name} (${model.model})`])] }),
      field("chunking", t("knowledge.chunking"), { value: base ? base.chunking : "markdown",
        options: ["recursive", "markdown"].map((kind) => [kind, t(`knowledge.chunking.${kind}`)]) }),
      field("chunk_size", t("knowledge.chunkSize"), { type: "number", value: base ? base.chunk_size : 512 }),
      field("chunk_overlap", t("knowledge.chunkOverlap"), { type: "number", value: base ? base.chunk_overlap : 64 }),
    ];
    const value = (name) => fields.find((item) => item.name === name).input.value;
    const done = await formDialog(base ? t("models.edit", { name: base.name }) : t("knowledge.create"), fields, () => {
      const body = { name: value("name"), description: value("description") || null, embedding_model_id: value("embedding_model_id") || null,
        chunking: value("chunking"), chunk_size: Number(value("chunk_size")), chunk_overlap: Number(value("chunk_overlap")) };
      return base ? api.put(`/knowledge-bases/${base.id}`, body) : api.post("/knowledge-bases", body);
    });
    if (done) { toast(t("common.saved"), "success"); table.reload(); }
  }

  async function remove(base) {
    if (!(await confirmAction(t("knowledge.confirmDelete", { name: base.name })))) return;
    await api.del(`/knowledge-bases/${base.id}`);
    toast(t("common.deleted"), "success");
    table.reload();
  }

  mount(container,
    h("div", { class: "page-head" }, h("h1", {}, t("menu./ai/knowledge")),
      can("knowledge:create") ? h("button", { type: "button", class: "primary", id: "knowledge-new", onclick: () => edit(null) }, t("knowledge.create")) : null),
    table.element);
  await table.first();
}

// Uploads one file as multipart/form-data, reporting the bytes sent; an expired token is
// refreshed once, as api.request does.
function upload(baseID, file, onProgress, retried = false) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/api/v1/knowledge-bases/${baseID}/documents`);
    request.setRequestHeader("Authorization", `Bearer ${api.currentToken()}`);
    request.upload.onprogress = (event) => { if (event.lengthComputable) onProgress(event.loaded / event.total); };
    request.onerror = () => reject(new Error(t("knowledge.uploadFailed")));
    request.onload = async () => {
      if (request.status === 401 && !retried && (await api.refresh()) === true) return upload(baseID, file, onProgress, true).then(resolve, reject);
      const body = request.responseText ? JSON.parse(request.responseText) : null;
      if (request.status >= 200 && request.status < 300) resolve(body);
      else reject(new api.APIError(request.status, body));
    };
    const form = new FormData();
    form.append("file", file, file.name);
    request.send(form);
  });
}

// A chunk's text with the search's highlights (Unicode scalar offsets) as <mark>.
function highlighted(text, highlights) {
  const scalars = Array.from(text);
  const nodes = [];
  let last = 0;
  for (const { start, end } of highlights || []) {
    if (start < last || end > scalars.length) continue;
    nodes.push(scalars.slice(last, start).join(""), h("mark", {}, scalars.slice(start, end).join("")));
    last = end;
  }
  nodes.push(scalars.slice(last).join(""));
  return nodes;
}

const headingPath = (path) => path.join(" › ");

async function knowledgeBase(container, { can }, baseID) {
  const base = await api.get(`/knowledge-bases/${baseID}`);
  // Files uploaded from this page, by document id, so a failed one can be sent again.
  const sent = new Map();
  const uploads = h("ul", { class: "uploads", "aria-label": t("knowledge.uploads") });
  const documents = h("tbody", {});
  let poll = null;

  async function loadDocuments() {
    const items = (await api.get(`/knowledge-bases/${baseID}/documents?page_size=100`)).items;
    mount(documents, items.length ? items.map(documentRow) : h("tr", {}, h("td", { colspan: 6, class: "empty" }, t("table.empty"))));
    clearTimeout(poll);
    // Polled while ingestion runs, and only while the page is shown.
    if (container.isConnected && items.some((item) => item.status === "queued" || item.status === "processing")) poll = setTimeout(loadDocuments, POLL_MS);
  }

  function documentRow(item) {
    const busy = item.status === "processing" ? ` ${Math.round(item.progress * 100)}%` : "";
    return h("tr", { "data-document": item.name },
      h("td", {}, item.name),
      h("td", {}, item.format),
      h("td", {}, formatNumber(item.size_bytes)),
      h("td", {}, h("span", { class: `status status-${item.status}`, "data-status": item.status }, t(`knowledge.status.${item.status}`), busy),
        item.error ? h("p", { class: "form-error" }, item.error) : null),
      h("td", {}, formatNumber(item.chunk_count)),
      h("td", {}, h("div", { class: "actions" },
        item.status === "failed" && can("knowledge:create") ? h("button", { type: "button", onclick: () => retry(item) }, t("knowledge.retry")) : null,
        can("knowledge:delete") ? h("button", { type: "button", class: "danger", onclick: () => removeDocument(item) }, t("common.delete")) : null)));
  }

  async function send(file) {
    const bar = h("progress", { max: 1, value: 0, "aria-label": file.name });
    const note = h("span", { class: "muted" }, t("knowledge.uploading"));
    uploads.append(h("li", { "data-upload": file.name }, h("span", {}, file.name), bar, note));
    try {
      const created = await upload(baseID, file, (fraction) => { bar.value = fraction; });
      bar.value = 1;
      note.textContent = t("knowledge.uploaded");
      sent.set(created.id, file);
    } catch (error) {
      note.textContent = error.message;
      note.className = "form-error";
    }
  }

  async function sendAll(files) {
    await Promise.all(Array.from(files).map(send));
    await loadDocuments();
  }

  // The file again: the one sent from this page, else the user picks it.
  async function retry(item) {
    const file = sent.get(item.id) || await pickFile();
    if (!file) return;
    await api.del(`/knowledge-bases/${baseID}/documents/${item.id}`);
    sent.delete(item.id);
    await sendAll([file]);
  }

  function pickFile() {
    return new Promise((resolve) => {
      const input = h("input", { type: "file", hidden: true, onchange: () => { resolve(input.files[0] || null); input.remove(); } });
      document.body.append(input);
      input.click();
    });
  }

  async function removeDocument(item) {
    if (!(await confirmAction(t("knowledge.confirmDeleteDocument", { name: item.name })))) return;
    await api.del(`/knowledge-bases/${baseID}/documents/${item.id}`);
    toast(t("common.deleted"), "success");
    await loadDocuments();
  }

  const picker = h("input", { type: "file", id: "knowledge-files", multiple: true, class: "visually-hidden",
    onchange: () => { sendAll(picker.files); picker.value = ""; } });
  const dropzone = can("knowledge:create") ? h("div", { class: "dropzone", id: "knowledge-dropzone",
    ondragover: (event) => { event.preventDefault(); dropzone.classList.add("over"); },
    ondragleave: () => dropzone.classList.remove("over"),
    ondrop: (event) => { event.preventDefault(); dropzone.classList.remove("over"); sendAll(event.dataTransfer.files); } },
  picker, h("label", { for: "knowledge-files" }, t("knowledge.drop"))) : null;

  // The playground.
  const query = h("input", { id: "search-query", type: "search", required: true, "aria-label": t("knowledge.query"), placeholder: t("knowledge.query") });
  const mode = h("select", { id: "search-mode", "aria-label": t("knowledge.mode") }, base.search_modes.map((name) => h("option", { value: name }, t(`knowledge.mode.${name}`))));
  const topK = h("input", { id: "search-top-k", type: "number", min: 1, max: 50, value: 5, "aria-label": t("knowledge.topK") });
  const hits = h("div", { class: "hits", "aria-live": "polite" });
  const score = (value) => (value === null || value === undefined ? "–" : formatNumber(value, 4));
  async function search(event) {
    event.preventDefault();
    try {
      const result = await api.post(`/knowledge-bases/${baseID}/search`, { query: query.value, mode: mode.value, top_k: Number(topK.value) });
      mount(hits, result.notice ? h("p", { class: "muted" }, result.notice) : null,
        result.items.length ? h("ol", { class: "hit-list" }, result.items.map((hit) => h("li", { class: "hit" },
          h("div", { class: "hit-head" }, h("strong", {}, hit.document_name), hit.heading_path.length ? h("span", { class: "muted" }, ` › ${headingPath(hit.heading_path)}`) : null),
          h("div", { class: "muted small" }, t("knowledge.scores", { score: score(hit.score), vector: score(hit.scores.vector), keyword: score(hit.scores.keyword), rrf: score(hit.scores.rrf) })),
          h("p", { class: "hit-text" }, highlighted(hit.text, hit.highlights))))) : h("p", { class: "empty" }, t("knowledge.noHits")));
    } catch (error) { mount(hits, h("p", { class: "form-error", role: "alert" }, error.message)); }
  }

  mount(container,
    h("p", {}, h("a", { href: "/ai/knowledge", onclick: linkHandler }, `← ${t("menu./ai/knowledge")}`)),
    h("h1", {}, base.name),
    h("p", { class: "muted" }, t("knowledge.settings", { chunking: t(`knowledge.chunking.${base.chunking}`), size: base.chunk_size, overlap: base.chunk_overlap }),
      base.description ? ` · ${base.description}` : "", base.updated_at ? ` · ${formatDate(base.updated_at)}` : ""),
    h("section", { class: "panel" }, h("h2", {}, t("knowledge.documents")), dropzone, uploads,
      h("table", { class: "data", "aria-label": t("knowledge.documents") },
        h("thead", {}, h("tr", {}, [t("models.name"), t("knowledge.format"), t("knowledge.size"), t("audit.status"), t("knowledge.chunks"), t("common.actions")].map((title) => h("th", { scope: "col" }, title)))),
        documents)),
    h("section", { class: "panel" }, h("h2", {}, t("knowledge.playground")),
      h("form", { class: "filters", onsubmit: search }, query, mode, topK, h("button", { type: "submit", class: "primary" }, t("knowledge.search"))),
      hits));
  await loadDocuments();
}

// Knowledge bases as checkboxes, for a chat session or a generation; null when the caller
// can see none.
export async function knowledgeChoice(name) {
  const bases = await api.get("/knowledge-bases?page_size=100").then((page) => page.items).catch(() => []);
  if (!bases.length) return null;
  const boxes = bases.map((base) => h("input", { type: "checkbox", id: `${name}-${base.id}`, value: base.id }));
  return {
    selected: () => boxes.filter((box) => box.checked).map((box) => box.value),
    field: { name: "knowledge_base_ids", input: boxes[0], error: h("span", { class: "field-error" }),
      element: h("fieldset", { class: "field checks" }, h("legend", {}, t("knowledge.attach")),
        boxes.map((box, index) => h("label", { for: box.id, class: "check" }, box, bases[index].name))) },
  };
}

// The cited passage in its context (the chunks before and after it in its document, when
// they can be read), with where it sits: its document, heading path and place in the text.
async function openCitation(citation) {
  const context = await api.get(`/knowledge-bases/${citation.knowledge_base_id}/chunks/${citation.chunk_id}/context?radius=1`).catch(() => null);
  const chunks = context ? context.chunks : [];
  const passage = (chunk) => chunk.id === citation.chunk_id
    ? h("blockquote", { class: "cited-text" }, citation.text)
    : h("blockquote", { class: "context-text muted" }, chunk.text);
  return dialog(t("knowledge.citation", { index: citation.index }), h("div", { class: "citation-view" },
    h("p", {}, h("strong", {}, citation.document_name), citation.heading_path.length ? ` › ${headingPath(citation.heading_path)}` : ""),
    h("p", { class: "muted" }, t("knowledge.offsets", { start: citation.start_offset, end: citation.end_offset })),
    chunks.some((chunk) => chunk.id === citation.chunk_id) ? chunks.map(passage) : h("blockquote", { class: "cited-text" }, citation.text),
    h("p", {}, h("a", { href: `/ai/knowledge/${citation.knowledge_base_id}`, onclick: (event) => { document.querySelector(".overlay")?.remove(); linkHandler(event); } }, t("knowledge.openBase")))),
  [{ label: t("common.close"), value: true, class: "primary" }]);
}

// Turns each `[n]` naming one of `citations` in rendered Markdown into a button opening it
// (code stays as written).
export function citedNodes(fragment, citations) {
  if (!citations || !citations.length) return fragment;
  const walker = document.createTreeWalker(fragment, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) if (!node.parentElement?.closest("code")) texts.push(node);
  for (const node of texts) {
    const parts = node.textContent.split(/(\[\d+\])/);
    if (parts.length === 1) continue;
    node.replaceWith(...parts.map((part) => {
      const citation = /^\[\d+\]$/.test(part) && citations.find((item) => `[${item.index}]` === part);
      return citation ? h("button", { type: "button", class: "link citation", "aria-label": t("knowledge.citation", { index: citation.index }), onclick: () => openCitation(citation) }, part) : part;
    }));
  }
  return fragment;
}
