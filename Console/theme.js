// Light or dark, remembered; the system's preference the first time.
export function theme() {
  return localStorage.getItem("console-theme") || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
}

export function applyTheme(name) {
  document.documentElement.dataset.theme = name;
  localStorage.setItem("console-theme", name);
}
