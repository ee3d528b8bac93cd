// Calls to the API. The access token lives in this module's memory only; the refresh token
// is an HttpOnly cookie the server scopes to /api/v1/auth/refresh, so no script can read
// either from storage. An expired access token is refreshed once, silently.
let accessToken = null;
let onSignedOut = () => {};

export class APIError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error && body.error.code;
    this.details = body && body.error && body.error.details;
  }
}

export function whenSignedOut(handler) { onSignedOut = handler; }
export function currentToken() { return accessToken; }

function headers(json) {
  const result = {};
  if (accessToken) result.Authorization = `Bearer ${accessToken}`;
  if (json) result["Content-Type"] = "application/json";
  return result;
}

async function parse(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) throw new APIError(response.status, body);
  return body;
}

let refreshing = null;
// One refresh at a time: parallel 401s wait for the same one. A replayed or expired refresh
// token ends the session with the server's reason.
export function refresh() {
  refreshing ??= fetch("/api/v1/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })
    .then(parse)
    .then((pair) => { accessToken = pair.access_token; return true; })
    .catch((error) => { accessToken = null; return error; })
    .finally(() => { refreshing = null; });
  return refreshing;
}

export async function request(method, path, body, { retry = true, signal } = {}) {
  const response = await fetch(`/api/v1${path}`, { method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body), signal });
  if (response.status === 401 && retry && !path.startsWith("/auth/login")) {
    const outcome = await refresh();
    if (outcome === true) return request(method, path, body, { retry: false, signal });
    onSignedOut(outcome);
    throw outcome;
  }
  return parse(response);
}

export const get = (path, options) => request("GET", path, undefined, options);
export const post = (path, body = {}, options) => request("POST", path, body, options);
export const put = (path, body, options) => request("PUT", path, body, options);
export const del = (path, options) => request("DELETE", path, undefined, options);

export async function login(username, password) {
  const pair = await request("POST", "/auth/login", { username, password }, { retry: false });
  accessToken = pair.access_token;
}

export async function changePassword(oldPassword, newPassword) {
  const pair = await post("/auth/me/password", { old_password: oldPassword, new_password: newPassword });
  accessToken = pair.access_token;
}

export async function logout() {
  try { await request("POST", "/auth/logout", {}, { retry: false }); } catch (_) { /* the session ends here either way */ }
  accessToken = null;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== "" && value !== null && value !== undefined) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}

// POSTs `body` and calls `onEvent(name, data)` for each server-sent event as it arrives.
// A raw fetch of an API path with the access token (`init.headers` added), sent once more
// after a refresh when the token had expired: for answers that are not plain JSON.
export async function authorized(path, init = {}) {
  const send = () => fetch(`/api/v1${path}`, { ...init, headers: { ...init.headers, ...headers(false) } });
  const response = await send();
  return response.status === 401 && (await refresh()) === true ? send() : response;
}

// Saves an API answer as a file (a plain link could not send the access token).
export async function download(path, filename) {
  const response = await authorized(path);
  if (!response.ok) throw new APIError(response.status, await response.json().catch(() => null));
  const url = URL.createObjectURL(await response.blob());
  const anchor = Object.assign(document.createElement("a"), { href: url, download: filename, hidden: true });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function stream(path, body, onEvent, signal) {
  const response = await authorized(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal });
  if (!response.ok) await parse(response);
  await readEvents(response, onEvent);
}

// GETs a server-sent event stream (the system log tail).
export async function follow(path, onEvent, signal) {
  const response = await authorized(path, { signal });
  if (!response.ok) await parse(response);
  await readEvents(response, onEvent);
}

async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      onEvent(name, data ? JSON.parse(data) : null);
    }
  }
}
