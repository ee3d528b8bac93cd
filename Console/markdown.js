// The sanitising Markdown renderer for model output and other untrusted text: it parses the
// text itself and builds DOM nodes through h(), so whatever markup the text holds
// (<script>, onerror=, javascript: links) stays visible text and never becomes HTML.
import { h } from "./dom.js";

const safeURL = (url) => /^(https?:|mailto:)/i.test(url.trim()) ? url.trim() : null;

// Inline: `code`, **bold**, *italic*, [text](url); everything else is text.
export function inline(text) {
  const nodes = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (let match; (match = pattern.exec(text));) {
    if (match.index > last) nodes.push(text.slice(last, match.index));
    if (match[1] !== undefined) nodes.push(h("code", {}, match[1]));
    else if (match[2] !== undefined) nodes.push(h("strong", {}, inline(match[2])));
    else if (match[3] !== undefined) nodes.push(h("em", {}, inline(match[3])));
    else {
      const href = safeURL(match[5]);
      nodes.push(href ? h("a", { href, target: "_blank", rel: "noopener noreferrer" }, match[4]) : match[0]);
    }
    last = pattern.lastIndex;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

const cells = (line) => line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((cell) => cell.trim());
const isTableSeparator = (line) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);

export function renderMarkdown(source) {
  const lines = String(source ?? "").replace(/\r\n/g, "\n").split("\n");
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = line.match(/^```\s*([\w+-]*)/);
    if (fence) {
      const code = [];
      for (i++; i < lines.length && !lines[i].startsWith("```"); i++) code.push(lines[i]);
      i++;
      blocks.push(h("pre", { class: "code", "data-language": fence[1] || null }, h("code", {}, code.join("\n"))));
    } else if (/^#{1,6}\s/.test(line)) {
      const level = line.match(/^#+/)[0].length;
      blocks.push(h(`h${Math.min(level + 2, 6)}`, {}, inline(line.replace(/^#+\s*/, ""))));
      i++;
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push(h("hr", {}));
      i++;
    } else if (line.includes("|") && i + 1 < lines.length && isTableSeparator(lines[i + 1])) {
      const head = cells(line);
      const rows = [];
      for (i += 2; i < lines.length && lines[i].includes("|") && lines[i].trim(); i++) rows.push(cells(lines[i]));
      blocks.push(h("table", { class: "md-table" },
        h("thead", {}, h("tr", {}, head.map((cell) => h("th", {}, inline(cell))))),
        h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, inline(cell))))))));
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const items = [];
      for (; i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i]); i++) items.push(h("li", {}, inline(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ""))));
      blocks.push(h(ordered ? "ol" : "ul", {}, items));
    } else if (line.startsWith(">")) {
      const quoted = [];
      for (; i < lines.length && lines[i].startsWith(">"); i++) quoted.push(lines[i].replace(/^>\s?/, ""));
      blocks.push(h("blockquote", {}, renderMarkdown(quoted.join("\n"))));
    } else if (!line.trim()) {
      i++;
    } else {
      const paragraph = [];
      for (; i < lines.length && lines[i].trim() && !/^(```|#{1,6}\s|>|\s*([-*+]|\d+[.)])\s+)/.test(lines[i]); i++) paragraph.push(lines[i]);
      if (!paragraph.length) paragraph.push(lines[i++]);
      blocks.push(h("p", {}, paragraph.flatMap((text, index) => index ? [h("br", {}), ...inline(text)] : inline(text))));
    }
  }
  const fragment = document.createDocumentFragment();
  fragment.append(...blocks);
  return fragment;
}
