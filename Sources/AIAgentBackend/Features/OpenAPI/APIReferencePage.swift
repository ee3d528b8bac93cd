/// The interactive API reference served at `/docs`: one self-contained page (no script,
/// style or font from elsewhere) that reads `/api/v1/openapi.json` and renders every
/// operation by tag, with parameters, schemas, examples and a form to try a call with a token.
/// Text from the document is only ever inserted as text, never as markup.
enum APIReferencePage {
    // The page is text, indented as a page: the formatter leaves it alone.
    // swift-format-ignore
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>API reference · AI Agent Backend</title>
    <style>
    :root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; --accent:#0969da; }
    * { box-sizing: border-box; }
    body { margin:0; font:14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); display:flex; height:100vh; }
    nav { width:320px; border-right:1px solid var(--line); overflow:auto; background:var(--bg); padding:12px; flex:none; }
    main { flex:1; overflow:auto; padding:20px 28px; }
    h1 { font-size:18px; margin:0 0 8px; } h2 { font-size:20px; margin:0 0 4px; } h3 { font-size:15px; margin:20px 0 6px; }
    input, textarea, select, button { font:inherit; }
    input[type=search], input[type=text], input[type=password], textarea { width:100%; padding:5px 8px; border:1px solid var(--line); border-radius:6px; }
    textarea { font-family:ui-monospace, monospace; font-size:13px; min-height:120px; }
    button { padding:5px 12px; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; }
    button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
    .tag { margin:14px 0 4px; font-weight:600; color:var(--muted); text-transform:uppercase; font-size:12px; }
    .op { display:flex; gap:8px; padding:3px 6px; border-radius:6px; cursor:pointer; align-items:baseline; }
    .op:hover, .op.active { background:#e7ecf0; }
    .method { font:600 11px ui-monospace, monospace; width:52px; flex:none; text-transform:uppercase; }
    .get { color:#1a7f37; } .post { color:#0969da; } .put { color:#9a6700; } .delete { color:#cf222e; }
    .path { font-family:ui-monospace, monospace; font-size:12px; word-break:break-all; }
    table { border-collapse:collapse; width:100%; } td, th { border-bottom:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
    code, pre { font-family:ui-monospace, monospace; font-size:12.5px; } pre { background:var(--bg); padding:10px; border-radius:6px; overflow:auto; }
    .muted { color:var(--muted); } .req { color:#cf222e; } .badge { font-size:12px; padding:1px 6px; border:1px solid var(--line); border-radius:10px; }
    .auth { border:1px solid var(--line); border-radius:6px; padding:8px; margin-bottom:10px; background:#fff; }
    .row { display:flex; gap:6px; margin-top:6px; }
    </style>
    </head>
    <body>
    <nav>
      <h1>API reference</h1>
      <div class="auth">
        <label for="token">Bearer token</label>
        <input id="token" type="password" placeholder="paste an access token, or sign in">
        <div class="row"><input id="username" type="text" placeholder="username"><input id="password" type="password" placeholder="password"></div>
        <div class="row"><button id="signin">Sign in</button><span id="signin-result" class="muted"></span></div>
      </div>
      <input id="filter" type="search" placeholder="Filter operations">
      <div id="operations"></div>
    </nav>
    <main id="detail"><p class="muted">Loading the OpenAPI document…</p></main>
    <script>
    "use strict";
    const state = { doc: null, ops: [], current: null };
    const $ = (id) => document.getElementById(id);
    function el(tag, props, ...children) {
      const node = document.createElement(tag);
      for (const [key, value] of Object.entries(props || {})) {
        if (key === "class") node.className = value; else if (key.startsWith("on")) node.addEventListener(key.slice(2), value); else node.setAttribute(key, value);
      }
      for (const child of children.flat()) if (child != null) node.append(child instanceof Node ? child : String(child));
      return node;
    }
    $("token").value = sessionStorage.getItem("api-token") || "";
    $("token").addEventListener("input", () => sessionStorage.setItem("api-token", $("token").value));

    function resolve(schema) {
      let seen = 0;
      while (schema && schema.$ref && seen++ < 32) schema = state.doc.components.schemas[schema.$ref.split("/").pop()];
      return schema || {};
    }
    function typeOf(schema) {
      if (schema.$ref) return schema.$ref.split("/").pop();
      if (schema.anyOf) return schema.anyOf.map(typeOf).join(" | ");
      const types = [].concat(schema.type || ["any"]);
      return types.map((t) => t === "array" ? `${typeOf(schema.items || {})}[]` : t).join(" | ") + (schema.format ? ` (${schema.format})` : "");
    }
    function limits(schema) {
      const parts = [];
      if (schema.enum) parts.push("one of " + schema.enum.map((v) => v === null ? "null" : v).join(", "));
      if (schema.minLength != null) parts.push(`≥ ${schema.minLength} chars`);
      if (schema.maxLength != null) parts.push(`≤ ${schema.maxLength} chars`);
      if (schema.minimum != null) parts.push(`≥ ${schema.minimum}`);
      if (schema.maximum != null) parts.push(`≤ ${schema.maximum}`);
      if (schema.pattern) parts.push(`pattern ${schema.pattern}`);
      if (schema.description) parts.push(schema.description);
      return parts.join("; ");
    }
    function example(schema, depth = 0) {
      if (depth > 6) return null;
      if (schema.$ref) return example(resolve(schema), depth + 1);
      if (schema.anyOf) return example(schema.anyOf[0], depth + 1);
      if (schema.enum) return schema.enum[0];
      const type = [].concat(schema.type || ["object"]).find((t) => t !== "null");
      switch (type) {
        case "string": return schema.format === "uuid" ? "00000000-0000-0000-0000-000000000000" : schema.format === "date-time" ? new Date().toISOString() : "string";
        case "integer": return schema.minimum ?? 1;
        case "number": return schema.minimum ?? 0;
        case "boolean": return false;
        case "array": return [example(schema.items || {}, depth + 1)];
        case "object": {
          const result = {};
          for (const [key, value] of Object.entries(schema.properties || {})) result[key] = example(value, depth + 1);
          return result;
        }
        default: return null;
      }
    }
    function schemaTable(schema, depth = 0) {
      const target = resolve(schema);
      if (!target.properties) return el("p", {}, el("code", {}, typeOf(schema)), " ", el("span", { class: "muted" }, limits(target)));
      const required = new Set(target.required || []);
      const rows = Object.entries(target.properties).map(([name, property]) => {
        const inner = resolve(property.items || property);
        const nested = depth < 2 && inner.properties && inner !== target ? el("details", {}, el("summary", {}, "fields"), schemaTable(property.items || property, depth + 1)) : null;
        return el("tr", {}, el("td", {}, el("code", {}, name), required.has(name) ? el("span", { class: "req" }, " *") : null),
          el("td", {}, el("code", {}, typeOf(property))), el("td", { class: "muted" }, limits(property), nested));
      });
      return el("table", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "constraints")), rows);
    }

    function renderList() {
      const query = $("filter").value.toLowerCase();
      const container = $("operations");
      container.replaceChildren();
      for (const tag of state.doc.tags || []) {
        const ops = state.ops.filter((op) => op.tag === tag.name && (`${op.method} ${op.path} ${op.summary}`.toLowerCase().includes(query)));
        if (!ops.length) continue;
        container.append(el("div", { class: "tag", title: tag.description }, tag.name));
        for (const op of ops) {
          container.append(el("div", { class: "op" + (op === state.current ? " active" : ""), onclick: () => show(op) },
            el("span", { class: "method " + op.method }, op.method), el("span", {}, el("div", {}, op.summary), el("div", { class: "path muted" }, op.path))));
        }
      }
    }

    function show(op) {
      state.current = op;
      history.replaceState(null, "", "#" + op.operation.operationId);
      renderList();
      const operation = op.operation;
      const params = operation.parameters || [];
      const inputs = {};
      const body = operation.requestBody && operation.requestBody.content["application/json"];
      const bodyInput = body ? el("textarea", {}, JSON.stringify(example(body.schema), null, 2)) : null;
      const output = el("pre", { class: "muted" }, "No request sent yet.");
      const send = async () => {
        let path = op.path;
        const query = new URLSearchParams();
        for (const parameter of params) {
          const value = inputs[parameter.name].value;
          if (parameter.in === "path") path = path.replace(`{${parameter.name}}`, encodeURIComponent(value));
          else if (value !== "") query.append(parameter.name, value);
        }
        const headers = {};
        if ($("token").value) headers.Authorization = "Bearer " + $("token").value;
        if (bodyInput) headers["Content-Type"] = "application/json";
        output.textContent = "…";
        try {
          const response = await fetch(path + (query.toString() ? "?" + query : ""), { method: op.method.toUpperCase(), headers, body: bodyInput ? bodyInput.value : undefined });
          const text = await response.text();
          let shown = text;
          try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) {}
          output.textContent = `${response.status} ${response.statusText}\n${response.headers.get("content-type") || ""}\n\n${shown}`;
        } catch (error) { output.textContent = String(error); }
      };
      const paramRows = params.map((parameter) => {
        inputs[parameter.name] = el("input", { type: "text", placeholder: typeOf(parameter.schema) });
        return el("tr", {}, el("td", {}, el("code", {}, parameter.name), parameter.required ? el("span", { class: "req" }, " *") : null, el("div", { class: "muted" }, parameter.in)),
          el("td", {}, el("code", {}, typeOf(parameter.schema))), el("td", { class: "muted" }, [limits(parameter.schema), parameter.description].filter(Boolean).join("; ")),
          el("td", {}, inputs[parameter.name]));
      });
      const responses = Object.entries(operation.responses || {}).map(([status, response]) => {
        const content = response.content || {};
        const json = content["application/json"];
        return el("div", {}, el("h3", {}, status, " ", el("span", { class: "muted" }, response.description || "")),
          Object.keys(content).length ? el("p", { class: "muted" }, Object.keys(content).join(", ")) : null,
          json ? schemaTable(json.schema) : null,
          json && status.startsWith("2") ? el("details", {}, el("summary", {}, "example"), el("pre", {}, JSON.stringify(example(json.schema), null, 2))) : null);
      });
      $("detail").replaceChildren(
        el("h2", {}, el("span", { class: "method " + op.method }, op.method), " ", el("span", { class: "path" }, op.path)),
        el("p", {}, operation.summary, " ", el("span", { class: "badge" }, (operation.security || []).length ? "bearer token" : "public")),
        operation.description ? el("p", { class: "muted" }, operation.description) : null,
        params.length ? [el("h3", {}, "Parameters"), el("table", {}, paramRows)] : null,
        body ? [el("h3", {}, "Request body"), schemaTable(body.schema), el("h3", {}, "Try it"), bodyInput] : el("h3", {}, "Try it"),
        el("div", { class: "row" }, el("button", { class: "primary", onclick: send }, "Send")),
        output,
        el("h3", {}, "Responses"), responses);
    }

    $("signin").addEventListener("click", async () => {
      const response = await fetch("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: $("username").value, password: $("password").value }) });
      const body = await response.json().catch(() => ({}));
      if (response.ok) { $("token").value = body.access_token; sessionStorage.setItem("api-token", body.access_token); $("signin-result").textContent = "signed in"; }
      else $("signin-result").textContent = (body.error && body.error.message) || response.statusText;
    });
    $("filter").addEventListener("input", renderList);

    fetch("/api/v1/openapi.json").then((response) => response.json()).then((doc) => {
      state.doc = doc;
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(item)) state.ops.push({ path, method, operation, summary: operation.summary, tag: (operation.tags || ["Operations"])[0] });
      }
      state.ops.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
      renderList();
      const wanted = state.ops.find((op) => "#" + op.operation.operationId === location.hash);
      if (wanted) show(wanted); else $("detail").replaceChildren(el("h2", {}, doc.info.title), el("p", {}, doc.info.description), el("p", { class: "muted" }, `Version ${doc.info.version} · ${state.ops.length} operations · `, el("a", { href: "/api/v1/openapi.json" }, "openapi.json")));
    }).catch((error) => $("detail").replaceChildren(el("p", {}, "Could not load the document: " + error)));
    </script>
    </body>
    </html>
    """#
}
