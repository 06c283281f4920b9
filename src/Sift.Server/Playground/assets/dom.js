// Small DOM helpers shared by the tabs. Text always goes in as text (never as HTML), so documents
// and server messages cannot inject markup into the page.

import { describe } from "./api.js";

/** Creates an element: el("li", { class: "x", dataset: { score: 1 } }, "text", child). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "style") Object.assign(node.style, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter(c => c !== undefined && c !== null && c !== false));
  return node;
}

/** The message area of one tab (errors in red, notices plain); empty text hides it. */
export function message(name, text = "", kind = "error") {
  const area = document.querySelector(`.message[data-for="${name}"]`);
  area.textContent = text;
  area.classList.toggle("info", kind === "info");
}

/** Shows a failed call in words in the tab's message area. */
export function showError(name, error) {
  if (error?.name === "AbortError") return;
  message(name, describe(error));
}

/** Runs work with the button disabled and labelled as busy; one run at a time per button. */
export async function busy(button, label, work) {
  const idle = button.textContent;
  button.disabled = true;
  button.textContent = label;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.textContent = idle;
    button.removeAttribute("aria-busy");
  }
}

/** Ctrl+Enter (or Cmd+Enter) in any field of the form submits it, as in most query consoles. */
export function submitOnCtrlEnter(form) {
  form.addEventListener("keydown", event => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}

/** A number field's value, or undefined when it is empty. */
export function optionalInteger(input) {
  const text = input.value.trim();
  return text === "" ? undefined : Number(text);
}

/** Non-empty lines of a textarea. */
export function lines(text) {
  return text.split(/\r?\n/).map(line => line.trim()).filter(line => line.length > 0);
}

export function fixed(value, digits = 4) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "–";
}

/** "▲ 2" / "▼ 1" / "=": how many places a result moved from one order to another. */
export function movement(from, to, what) {
  const places = from - to;
  if (places === 0) return el("span", { class: "move same", title: `same place as in ${what}` }, "= same");
  const up = places > 0;
  const count = Math.abs(places);
  return el("span", {
    class: `move ${up ? "up" : "down"}`,
    title: `${up ? "up" : "down"} ${count} place${count === 1 ? "" : "s"} from #${from + 1} in ${what}`,
    dataset: { move: String(places) },
  }, `${up ? "▲" : "▼"} ${count}`);
}

/** A horizontal bar for a score in 0..1. */
export function bar(score, kind = "") {
  const width = Math.max(0, Math.min(1, score)) * 100;
  return el("span", { class: `bar ${kind}`, "aria-hidden": "true" }, el("i", { style: { width: `${width}%` } }));
}

/** The model select boxes, filled from /v1/models by kind ("embedding" or "rerank"). */
export function fillModelSelects(models) {
  for (const select of document.querySelectorAll("select[data-kind]")) {
    const kind = select.dataset.kind;
    // A server older than the "kind" field lists every model; the API then says which one fits.
    const fitting = models.filter(m => m.kind === undefined || m.kind === kind);
    const current = select.value;
    select.replaceChildren(...fitting.map(m => el("option", { value: m.id }, m.id)));
    if (fitting.some(m => m.id === current)) select.value = current;
    select.disabled = fitting.length === 0;
    if (fitting.length === 0) select.append(el("option", { value: "" }, `no ${kind} model on this server`));
  }
}
