// History routing: the server answers index.html for every console path.
let render = () => {};

export function onRoute(handler) {
  render = handler;
  window.addEventListener("popstate", () => render(location.pathname));
}

export function navigate(path) {
  if (path !== location.pathname) history.pushState(null, "", path);
  render(path);
}

// Links that route inside the console instead of reloading it.
export function linkHandler(event) {
  const href = event.currentTarget.getAttribute("href");
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || !href.startsWith("/")) return;
  event.preventDefault();
  navigate(href);
}
