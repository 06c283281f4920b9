// The playground's shell: tabs (keyboard as in the WAI-ARIA tabs pattern, and #embed style links),
// the API key field, the theme switch, and the list of models every tab starts from.

import { apiKey, setApiKey, call } from "./api.js";
import { fillModelSelects, showError, message } from "./dom.js";
import * as embed from "./embed.js";
import * as rerank from "./rerank.js";
import * as search from "./search.js";
import * as status from "./status.js";

const tools = { embed, rerank, search, status };
const tabs = [...document.querySelectorAll('[role="tab"]')];

function nameOf(tab) {
  return tab.id.replace("tab-", "");
}

function select(name, { focus = false } = {}) {
  if (!(name in tools)) name = "embed";
  for (const tab of tabs) {
    const selected = nameOf(tab) === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    document.getElementById(tab.getAttribute("aria-controls")).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  for (const [toolName, tool] of Object.entries(tools)) tool.shown?.(toolName === name);
}

document.querySelector('[role="tablist"]').addEventListener("keydown", event => {
  const index = tabs.indexOf(document.activeElement);
  if (index < 0) return;
  const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  select(nameOf(tabs[(next + tabs.length) % tabs.length]), { focus: true });
});
for (const tab of tabs) tab.addEventListener("click", () => select(nameOf(tab)));
window.addEventListener("hashchange", () => select(location.hash.slice(1)));

// The API key: typed once per tab, kept in sessionStorage, sent as "Authorization: Bearer".
const keyField = document.getElementById("api-key");
keyField.value = apiKey();
keyField.addEventListener("input", () => setApiKey(keyField.value.trim()));
// Enter (which also fires "change") or leaving the field: try the key, once per new key.
keyField.addEventListener("change", reloadIfKeyChanged);
document.getElementById("key-form").addEventListener("submit", event => {
  event.preventDefault();
  reloadIfKeyChanged();
});

// Theme: automatic (the system's), light, dark; the choice is remembered (it is not a secret).
const themes = ["auto", "light", "dark"];
const themeButton = document.getElementById("theme");
function applyTheme(theme) {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  themeButton.setAttribute("aria-label", `Theme: ${theme === "auto" ? "automatic" : theme}`);
  themeButton.title = `Theme: ${theme === "auto" ? "automatic (as the system)" : theme} — click to change`;
  themeButton.firstElementChild.textContent = { auto: "◐", light: "☀", dark: "☾" }[theme];
}
themeButton.addEventListener("click", () => {
  const current = document.documentElement.dataset.theme ?? "auto";
  const next = themes[(themes.indexOf(current) + 1) % themes.length];
  try {
    if (next === "auto") localStorage.removeItem("sift.theme"); else localStorage.setItem("sift.theme", next);
  } catch { /* storage disabled: the theme lasts until reload */ }
  applyTheme(next);
});
applyTheme(document.documentElement.dataset.theme ?? "auto");

let modelsLoadedWith = null;

function reloadIfKeyChanged() {
  if (apiKey() !== modelsLoadedWith) loadModels();
}

const loadingRetry = 2000;

/** While the server loads its models, /v1/models lists none and /ready answers 503 {"status": "loading"}. */
async function stillLoading() {
  try {
    await call("ready");
    return false;
  } catch (error) {
    if (error.status === 503 && /loading/.test(error.message)) return true;
    throw error;
  }
}

/** Models from /v1/models, shared with every tab; an error (a missing key, models loading) is shown where it matters. */
async function loadModels() {
  modelsLoadedWith = apiKey();
  try {
    const list = await call("v1/models");
    const models = list.data ?? [];
    if (models.length === 0 && await stillLoading()) {
      for (const name of ["embed", "rerank"]) message(name, "The server is still loading its models; this page will go on when they are ready.", "info");
      modelsLoadedWith = null;
      setTimeout(reloadIfKeyChanged, loadingRetry);
      return;
    }
    fillModelSelects(models);
    for (const name of ["embed", "rerank"]) message(name, "");
    for (const tool of Object.values(tools)) tool.modelsLoaded?.(models);
    document.documentElement.dataset.models = String(models.length);
  } catch (error) {
    modelsLoadedWith = null;
    for (const name of ["embed", "rerank", "search"]) showError(name, error);
  }
}

for (const tool of Object.values(tools)) tool.init();
select(location.hash.slice(1));
loadModels();
