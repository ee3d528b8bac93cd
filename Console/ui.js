// Pieces the pages share: 422 details beside their fields, confirmation, forms.
import { dialog, h } from "./dom.js";
import { t } from "./i18n.js";

// The 422 details of the API, as one line.
export function fieldMessage(error) {
  const details = error && error.details;
  if (!details) return "";
  if (Array.isArray(details)) return details.map((item) => [item.field || item.pointer, item.message].filter(Boolean).join(": ")).join("; ");
  return error.message;
}

// Confirmation before anything destructive.
export async function confirmAction(message) {
  return (await dialog(t("common.confirm"), h("p", {}, message), [
    { label: t("common.cancel"), value: false },
    { label: t("common.delete"), value: true, class: "danger primary" },
  ])) === true;
}

// A labelled input; `field.input` is the control, `field.error` shows the API's message for it.
export function field(name, label, props = {}) {
  const id = `field-${name}`;
  const input = props.options
    ? h("select", { id, name }, props.options.map(([value, text]) => h("option", { value, selected: value === props.value }, text)))
    : props.multiline ? h("textarea", { id, name, rows: props.rows || 4 }, props.value ?? "")
    : h("input", { id, name, type: props.type || "text", value: props.value ?? "", required: props.required, autocomplete: props.autocomplete || "off", placeholder: props.placeholder });
  const error = h("span", { class: "field-error", id: `${id}-error` });
  input.setAttribute("aria-describedby", `${id}-error`);
  return { name, input, error, element: h("div", { class: "field" }, h("label", { for: id }, label), input, error) };
}

// Shows a 422's field messages beside the fields (`details` names fields or JSON pointers);
// answers whether any was shown.
export function showFieldErrors(fields, error) {
  for (const item of fields) item.error.textContent = "";
  const details = error && error.details;
  if (!details) return false;
  const entries = typeof details.field === "string"
    ? [[details.field, error.message.replace(`${details.field}: `, "")]]
    : Array.isArray(details) ? details.map((item) => [String(item.field || item.pointer || "").replace(/^\//, ""), item.message]) : [];
  let shown = false;
  for (const [name, message] of entries) {
    const target = fields.find((item) => item.name === name || name.startsWith(`${item.name}/`));
    if (target) { target.error.textContent = String(message); shown = true; }
  }
  return shown;
}

// A form in a dialog: resolves once `submit(values)` succeeds, null when cancelled.
export function formDialog(title, fields, submit) {
  return new Promise((resolve) => {
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h("form", { class: "form", onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        const result = await submit();
        overlay.remove();
        resolve(result ?? true);
      } catch (failure) {
        if (!showFieldErrors(fields, failure)) error.textContent = fieldMessage(failure) || failure.message;
      }
    } },
    h("h2", {}, title), fields.map((item) => item.element), error,
    h("div", { class: "dialog-buttons" },
      h("button", { type: "button", onclick: () => { overlay.remove(); resolve(null); } }, t("common.cancel")),
      h("button", { type: "submit", class: "primary" }, t("common.save"))));
    const overlay = h("div", { class: "overlay", onkeydown: (event) => { if (event.key === "Escape") { overlay.remove(); resolve(null); } } },
      h("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": title }, form));
    document.body.append(overlay);
    (fields[0] && fields[0].input.focus());
  });
}
