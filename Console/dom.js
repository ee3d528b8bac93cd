// The console's one rendering helper: elements are built node by node and text is always
// inserted as text. The only other way content reaches the page is markdown.js, which
// builds its nodes the same way.

export function h(tag, props, ...children) {
  const svg = ["svg", "rect", "line", "polyline", "text", "g", "title", "path", "circle"].includes(tag);
  const node = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.setAttribute("class", value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === "value" && !svg) node.value = value;
    else if (key === "checked") node.checked = Boolean(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function mount(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

export function formatDate(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined) return "–";
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

let toastSeq = 0;
export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast toast-${kind}`, "data-toast": String(++toastSeq) }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

// A modal dialog; resolves with the value of the pressed button (null when dismissed).
export function dialog(title, body, buttons) {
  return new Promise((resolve) => {
    const close = (value) => { overlay.remove(); resolve(value); };
    const panel = h("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": title },
      h("h2", {}, title), body,
      h("div", { class: "dialog-buttons" }, buttons.map((button) =>
        h("button", { type: "button", class: button.class || "", onclick: () => close(button.value) }, button.label))));
    const overlay = h("div", { class: "overlay", onkeydown: (event) => { if (event.key === "Escape") close(null); } }, panel);
    document.body.append(overlay);
    (panel.querySelector("input, select, textarea") || panel.querySelector("button.primary") || panel.querySelector("button")).focus();
  });
}
