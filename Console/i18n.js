// Every visible string comes from these two catalogues (a Swift test checks that each key
// used here exists in both). The browser's language is the default; a choice is remembered.
import en from "./messages-en.json" with { type: "json" };
import zh from "./messages-zh-CN.json" with { type: "json" };

const catalogues = { en, "zh-CN": zh };
export const languages = [["zh-CN", "中文"], ["en", "English"]];
let current = pick();

function pick() {
  const saved = localStorage.getItem("console-language");
  if (saved && catalogues[saved]) return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

export function language() { return current; }

export function setLanguage(code) {
  if (!catalogues[code]) return;
  current = code;
  localStorage.setItem("console-language", code);
  document.documentElement.lang = code;
}

// `t("table.page", { page: 1, pages: 3, total: 60 })` fills `{page}`, `{pages}` and `{total}`.
export function t(key, params) {
  const text = catalogues[current][key] ?? catalogues.en[key] ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? "")) : text;
}

document.documentElement.lang = current;
