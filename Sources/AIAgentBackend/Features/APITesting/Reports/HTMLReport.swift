import Foundation

/// A run as one self-contained HTML page (inline CSS and script, nothing fetched): the report's
/// JSON is embedded once, as data, and a small script renders it with `textContent` only, so
/// nothing a tested API answered is ever parsed as markup. A case's steps are drawn when it is
/// opened, which keeps a run of thousands of cases quick to show. The page sets
/// `data-rendered` on `<body>` once drawn.
enum HTMLReport {
    static func render(_ report: RunReport) throws -> String {
        let full = try JSONCoding.decoder.decode(JSONValue.self, from: try JSONCoding.encoder.encode(report))
        let data = try JSONCoding.encoder.encode(compact(full) ?? .null)
        var page = head.replacingOccurrences(of: "{{title}}", with: escaped("\(report.project.name) · \(report.title)"))
        page.reserveCapacity(data.count + head.count + script.count + 100)
        page += "<script type=\"application/json\" id=\"report-data\">"
        page += scriptSafe(data)
        page += "</script>\n<script>" + script + "</script>\n</body>\n</html>\n"
        return page
    }

    /// The report's JSON made smaller for the page: `false` and `null` left out of objects,
    /// as the script reads a missing value as either, and durations (`*_ms`) rounded to the
    /// microsecond.
    private static func compact(_ value: JSONValue, key: String = "") -> JSONValue? {
        switch value {
        case .null, .bool(false): return nil
        case .number(let number) where key.hasSuffix("_ms"): return .number((number * 1000).rounded() / 1000)
        case .array(let items): return .array(items.map { compact($0) ?? $0 })
        case .object(let fields):
            var kept: [String: JSONValue] = [:]
            for (name, field) in fields { if let field = compact(field, key: name) { kept[name] = field } }
            return .object(kept)
        default: return value
        }
    }

    /// The JSON with every `<` written `\u003c`: no `</script>` or `<!--` can end or bend the
    /// data block. (`<` only occurs inside JSON strings, where the escape means the same.)
    private static func scriptSafe(_ json: Data) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(json.count)
        for byte in json {
            if byte == UInt8(ascii: "<") { bytes += Array("\\u003c".utf8) } else { bytes.append(byte) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    private static let head = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}}</title>
        <style>
        :root{--ok:#1a7f37;--bad:#cf222e;--err:#9a6700;--mute:#57606a;--line:#d0d7de;--bg:#f6f8fa}
        *{box-sizing:border-box}
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328}
        header,main{padding:12px 20px}
        header{border-bottom:1px solid var(--line);background:var(--bg)}
        h1{font-size:20px;margin:0 0 4px}
        h2{font-size:16px;margin:16px 0 6px}
        .meta{color:var(--mute)}
        .stats{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}
        .stat{border:1px solid var(--line);border-radius:6px;padding:6px 12px;background:#fff;min-width:90px}
        .stat b{display:block;font-size:20px}
        .stat span{color:var(--mute);font-size:12px}
        table{border-collapse:collapse;width:100%;margin:4px 0}
        th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top;word-break:break-all}
        th{background:var(--bg);font-weight:600}
        .tools{display:flex;flex-wrap:wrap;gap:12px;align-items:center;position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid var(--line)}
        .tools input[type=search]{min-width:260px;padding:4px 6px}
        details.case{border:1px solid var(--line);border-radius:6px;margin:6px 0}
        details.case>summary{cursor:pointer;padding:6px 10px;display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
        details.case[open]>summary{border-bottom:1px solid var(--line);background:var(--bg)}
        .badge{font-size:11px;font-weight:700;text-transform:uppercase;border-radius:4px;padding:1px 6px;color:#fff}
        .passed{background:var(--ok)}.failed{background:var(--bad)}.error{background:var(--err)}.cancelled{background:var(--mute)}
        .tag{font-size:11px;border:1px solid var(--line);border-radius:10px;padding:0 6px;color:var(--mute)}
        .why{flex-basis:100%;color:var(--bad);font-size:12px}
        .ms{color:var(--mute);margin-left:auto}
        .step{padding:6px 10px;border-top:1px dashed var(--line)}
        .step:first-child{border-top:0}
        pre{background:var(--bg);border:1px solid var(--line);padding:6px;margin:4px 0;white-space:pre-wrap;word-break:break-all;max-height:360px;overflow:auto;font:12px/1.4 ui-monospace,monospace}
        .pass{color:var(--ok)}.fail{color:var(--bad)}
        </style>
        </head>
        <body>

        """

    private static let script = """
        (function () {
          "use strict";
          var report = JSON.parse(document.getElementById("report-data").textContent);
          function el(tag, className, text) {
            var node = document.createElement(tag);
            if (className) node.className = className;
            if (text !== undefined && text !== null) node.textContent = String(text);
            return node;
          }
          function add(parent) {
            for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
            return parent;
          }
          function table(headings, rows) {
            var t = el("table"), head = add(el("tr"));
            headings.forEach(function (h) { head.appendChild(el("th", null, h)); });
            t.appendChild(head);
            rows.forEach(function (row) {
              var tr = el("tr");
              row.forEach(function (cell) { tr.appendChild(cell instanceof Node ? add(el("td"), cell) : el("td", null, cell)); });
              t.appendChild(tr);
            });
            return t;
          }
          function ms(value) { return value == null ? "" : value.toFixed(1) + " ms"; }
          function displayName(c) {
            return (c.role === "case" ? "" : c.role + ": ") + c.case_name + (c.iteration === c.case_name ? "" : " [" + c.iteration + "]");
          }
          function tagsOf(c) { return (c.case_id && report.case_tags[c.case_id]) || []; }
          function isFailed(c) { return c.status === "failed" || c.status === "error"; }
          function why(c) {
            for (var s = 0; s < c.steps.length; s++) {
              var step = c.steps[s];
              if (step.error) return step.name + ": " + step.error.message;
              for (var a = 0; a < step.assertions.length; a++) {
                var x = step.assertions[a];
                if (!x.passed) return step.name + ": " + x.description + (x.expected != null ? ", expected " + x.expected : "") + (x.actual != null ? ", actual " + x.actual : "");
              }
            }
            return "";
          }

          var run = report.run, totals = report.totals, header = el("header");
          add(header, el("h1", null, report.project.name + " · " + (report.suite ? report.suite.name : "cases of run " + run.id.slice(0, 8).toLowerCase())));
          add(header, el("div", "meta", "Run " + run.id + " · " + run.status + (report.environment ? " · environment " + report.environment.name : "") + " · " + (run.created_at || "")));
          var stats = el("div", "stats");
          function stat(key, label, value, shown) {
            var box = el("div", "stat"), b = el("b", null, shown === undefined ? value : shown);
            b.setAttribute("data-stat", key);
            b.setAttribute("data-value", value == null ? "" : String(value));
            stats.appendChild(add(box, b, el("span", null, label)));
          }
          stat("cases", "cases", totals.cases);
          stat("iterations", "iterations", totals.iterations);
          stat("passed", "passed", totals.passed);
          stat("failed", "failed", totals.failed);
          stat("errors", "errors", totals.errors);
          if (totals.cancelled) stat("cancelled", "cancelled", totals.cancelled);
          stat("pass_rate", "pass rate", report.pass_rate, report.pass_rate == null ? "–" : (report.pass_rate * 100).toFixed(1) + "%");
          stat("duration_ms", "duration", run.duration_ms, run.duration_ms == null ? "–" : (run.duration_ms / 1000).toFixed(2) + " s");
          header.appendChild(stats);
          if (run.error) header.appendChild(el("div", "why", run.error));
          document.body.appendChild(header);

          var main = el("main");
          if (report.slowest_steps.length) {
            add(main, el("h2", null, "Slowest steps"), table(["case", "step", "request", "duration"], report.slowest_steps.map(function (s) {
              return [s.case_name + (s.iteration === s.case_name ? "" : " [" + s.iteration + "]"), s.step, s.request || "", ms(s.duration_ms)];
            })));
          }
          if (report.endpoints.length) {
            add(main, el("h2", null, "Endpoints"), table(["endpoint", "requests", "p50", "p95"], report.endpoints.map(function (e) {
              return [e.endpoint, e.count, ms(e.p50_ms), ms(e.p95_ms)];
            })));
          }

          var tools = el("div", "tools"), failedOnly = el("input"), tag = el("select"), search = el("input"), shown = el("span", "meta");
          failedOnly.type = "checkbox"; failedOnly.id = "failed-only";
          tag.id = "tag"; search.id = "search"; search.type = "search"; search.placeholder = "Search names, URLs, bodies…"; shown.id = "shown";
          var label = add(el("label"), failedOnly); label.appendChild(document.createTextNode(" failed only"));
          tag.appendChild(el("option", null, "all tags")).value = "";
          var tags = {};
          Object.keys(report.case_tags).forEach(function (id) { report.case_tags[id].forEach(function (t) { tags[t] = true; }); });
          Object.keys(tags).sort().forEach(function (t) { tag.appendChild(el("option", null, t)).value = t; });
          add(tools, label, tag, search, shown);
          add(main, el("h2", null, "Cases"), tools);

          function renderStep(step, index) {
            var box = el("div", "step");
            add(box, el("div", step.passed ? "pass" : "fail", (index + 1) + ". " + step.name + " (" + step.kind + ", " + ms(step.duration_ms) + ")" + (step.passed ? "" : " — failed")));
            if (step.request) {
              var r = step.request, text = r.method + " " + r.url + "\\n" + r.headers.map(function (h) { return h.name + ": " + h.value; }).join("\\n");
              if (r.body) text += "\\n\\n" + r.body;
              add(box, el("div", "meta", "Request"), el("pre", null, text));
            }
            if (step.response) {
              var p = step.response, body = p.body;
              try { if (body && body.length < 200000) body = JSON.stringify(JSON.parse(body), null, 2); } catch (e) { /* not JSON: shown as sent */ }
              var rtext = p.status + " (" + p.size + " bytes" + (p.truncated ? ", truncated" : "") + ")\\n" + p.headers.map(function (h) { return h.name + ": " + h.value; }).join("\\n");
              if (body) rtext += "\\n\\n" + body;
              add(box, el("div", "meta", "Response" + (step.timings ? " · first byte " + ms(step.timings.ttfb_ms) + ", total " + ms(step.timings.total_ms) : "")), el("pre", "response", rtext));
            }
            if (step.assertions.length) {
              add(box, table(["", "assertion", "expected", "actual"], step.assertions.map(function (a) {
                return [el("span", a.passed ? "pass" : "fail", a.passed ? "✓" : a.soft ? "✗ soft" : "✗"), a.description, a.expected == null ? "" : a.expected, a.actual == null ? "" : a.actual];
              })));
            }
            var names = Object.keys(step.extracted);
            if (names.length) add(box, el("div", "meta", "Extracted"), table(["variable", "value"], names.sort().map(function (n) { return [n, JSON.stringify(step.extracted[n])]; })));
            if (step.error) add(box, el("div", "fail", "Error (" + step.error.kind + "): " + step.error.message));
            if (step.curl) add(box, el("div", "meta", "Reproduce"), el("pre", "curl", step.curl));
            return box;
          }

          var list = el("div"), items = [];
          list.id = "cases";
          var fragment = document.createDocumentFragment();
          report.cases.forEach(function (c, i) {
            var details = el("details", "case"), summary = el("summary");
            details.setAttribute("data-status", c.status);
            details.setAttribute("data-index", String(i));
            add(summary, el("span", "badge " + c.status, c.status), el("span", "name", displayName(c)));
            tagsOf(c).forEach(function (t) { summary.appendChild(el("span", "tag", t)); });
            summary.appendChild(el("span", "ms", ms(c.duration_ms) + (c.attempts > 1 ? " · " + c.attempts + " attempts" : "")));
            if (isFailed(c)) summary.appendChild(el("span", "why", why(c)));
            details.appendChild(summary);
            details.addEventListener("toggle", function () {
              if (!details.open || details.dataset.drawn) return;
              details.dataset.drawn = "true";
              c.steps.forEach(function (step, s) { details.appendChild(renderStep(step, s)); });
            });
            fragment.appendChild(details);
            items.push({ node: details, report: c, text: null });
          });
          list.appendChild(fragment);
          main.appendChild(list);
          document.body.appendChild(main);

          function haystack(item) {
            if (item.text === null) {
              var c = item.report, parts = [displayName(c)].concat(tagsOf(c));
              c.steps.forEach(function (s) {
                parts.push(s.name);
                if (s.request) parts.push(s.request.method + " " + s.request.url, s.request.body || "");
                if (s.response) parts.push(s.response.body);
                if (s.error) parts.push(s.error.message);
              });
              item.text = parts.join("\\n").toLowerCase();
            }
            return item.text;
          }
          function apply() {
            var needle = search.value.trim().toLowerCase(), wanted = tag.value, count = 0;
            items.forEach(function (item) {
              var c = item.report;
              var show = (!failedOnly.checked || isFailed(c)) && (!wanted || tagsOf(c).indexOf(wanted) >= 0) && (!needle || haystack(item).indexOf(needle) >= 0);
              item.node.hidden = !show;
              if (show) count++;
            });
            shown.textContent = count + " of " + items.length + " shown";
          }
          var pending;
          failedOnly.addEventListener("change", apply);
          tag.addEventListener("change", apply);
          search.addEventListener("input", function () { clearTimeout(pending); pending = setTimeout(apply, 120); });
          apply();
          document.body.setAttribute("data-rendered", "true");
        })();

        """
}
