// Embed: queries (with an instruction) and documents → the cosine similarity of every pair, as a
// heatmap; a Matryoshka dimension slider asks the server again for shorter vectors.

import { call } from "./api.js";
import { el, busy, showError, message, submitOnCtrlEnter, lines } from "./dom.js";

const form = document.getElementById("embed-form");
const result = document.getElementById("embed-result");
const slider = document.getElementById("embed-dimensions");
const sliderValue = document.getElementById("embed-dimensions-value");
const heatmap = document.getElementById("embed-heatmap");
const legend = document.getElementById("embed-legend");
const usage = document.getElementById("embed-usage");

const minimumDimensions = 32;
let running = null;
let sliderTimer = 0;
let models = [];
let shownModel = null;

export function init() {
  submitOnCtrlEnter(form);
  form.addEventListener("submit", event => {
    event.preventDefault();
    // New texts keep the slider's size; another model starts again from its full size.
    const keep = !result.hidden && form.elements.model.value === shownModel && Number(slider.value) < Number(slider.max);
    busy(form.querySelector('button[type="submit"]'), "Embedding…", () => run(keep ? Number(slider.value) : undefined));
  });
  slider.addEventListener("input", () => {
    sliderValue.textContent = slider.value;
    // Re-compute once the slider rests, not for every pixel it passes.
    clearTimeout(sliderTimer);
    sliderTimer = setTimeout(() => run(Number(slider.value)), 200);
  });
}

export function modelsLoaded(list) {
  models = list;
}

/** Embeds the texts at `dimensions` (undefined: the model's full size) and draws the matrix. */
async function run(dimensions) {
  running?.abort();
  const controller = new AbortController();
  running = controller;
  const model = form.elements.model.value || undefined;
  const queries = lines(form.elements.queries.value);
  const documents = lines(form.elements.documents.value);
  const instruction = form.elements.instruction.value.trim();
  if (queries.length + documents.length === 0) {
    message("embed", "Type at least one query or document, one per line.");
    return;
  }
  const request = (input, asQuery) => call("v1/embeddings", {
    method: "POST",
    signal: controller.signal,
    body: {
      model,
      input,
      dimensions,
      ...(asQuery ? (instruction ? { instruction } : { input_type: "query" }) : { input_type: "document" }),
    },
  });
  try {
    const [queryAnswer, documentAnswer, tokens] = await Promise.all([
      queries.length ? request(queries, true) : null,
      documents.length ? request(documents, false) : null,
      // The texts' own token counts (the model also sees the instruction and an end-of-text token: see usage).
      call("tokenize", { method: "POST", signal: controller.signal, body: { model, inputs: [...queries, ...documents], add_special_tokens: false } }),
    ]);
    if (controller.signal.aborted) return;
    const items = [
      ...queries.map((text, i) => ({ label: `Q${i + 1}`, text, kind: "query", vector: queryAnswer.data[i].embedding })),
      ...documents.map((text, i) => ({ label: `D${i + 1}`, text, kind: "document", vector: documentAnswer.data[i].embedding })),
    ];
    items.forEach((item, i) => { item.tokens = tokens[i].length; });
    const totalTokens = (queryAnswer?.usage.total_tokens ?? 0) + (documentAnswer?.usage.total_tokens ?? 0);
    const size = items[0].vector.length;
    if (dimensions === undefined) {
      const served = models.find(m => m.id === model)?.dimensions ?? size;
      slider.min = String(Math.min(minimumDimensions, served));
      slider.max = String(served);
      slider.value = String(size);
      sliderValue.textContent = String(size);
    }
    shownModel = model ?? null;
    draw(items, totalTokens, size);
    message("embed", "");
  } catch (error) {
    showError("embed", error);
  } finally {
    if (running === controller) running = null;
  }
}

function cosine(a, b) {
  let dot = 0, normA = 0, normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  return dot / Math.sqrt(normA * normB);
}

function draw(items, totalTokens, size) {
  const header = el("tr", {}, el("td"), items.map(item => el("th", { scope: "col", title: item.text }, item.label)));
  const rows = items.map(row => el("tr", {},
    el("th", { scope: "row", title: row.text }, row.label),
    items.map(column => {
      const value = cosine(row.vector, column.vector);
      const weight = Math.round(Math.min(1, Math.abs(value)) * 100);
      return el("td", {
        class: Math.abs(value) > 0.55 ? "strong" : undefined,
        title: `${row.label} × ${column.label}: cosine ${value.toFixed(6)}`,
        dataset: { cosine: String(value), row: row.label, column: column.label },
        style: { background: `color-mix(in srgb, var(${value >= 0 ? "--heat-pos" : "--heat-neg"}) ${weight}%, var(--heat-zero))` },
      }, value.toFixed(3));
    })));
  heatmap.replaceChildren(el("thead", {}, header), el("tbody", {}, rows));
  legend.replaceChildren(...items.map(item => el("li", { dataset: { label: item.label, tokens: String(item.tokens) } },
    el("b", {}, item.label),
    el("span", { class: "text" }, item.text),
    el("span", { class: "tokens" }, `${item.tokens} token${item.tokens === 1 ? "" : "s"}${item.kind === "query" ? " + instruction" : ""}`))));
  usage.textContent = `${size} dimensions · ${totalTokens} tokens in all, as the model saw them (usage.total_tokens)`;
  usage.dataset.totalTokens = String(totalTokens);
  usage.dataset.dimensions = String(size);
  result.hidden = false;
}
