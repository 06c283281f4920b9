// Rerank: a query and documents → the documents sorted by the reranker's score, with bars and how
// far each moved from the input order; optionally beside the ranking under the default instruction.

import { call } from "./api.js";
import { el, busy, showError, message, submitOnCtrlEnter, optionalInteger, lines, fixed, movement, bar } from "./dom.js";

const form = document.getElementById("rerank-form");
const result = document.getElementById("rerank-result");
const columns = document.getElementById("rerank-columns");

export function init() {
  submitOnCtrlEnter(form);
  form.addEventListener("submit", event => {
    event.preventDefault();
    busy(form.querySelector('button[type="submit"]'), "Reranking…", run);
  });
}

/**
 * Documents as typed: one per line, or pasted JSON (an array of strings or {"text"} objects, or a
 * whole Cohere/Jina rerank request, whose query, instruction and top_n then fill the form).
 */
function readDocuments() {
  const text = form.elements.documents.value.trim();
  if (!text.startsWith("[") && !text.startsWith("{")) return lines(text);
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`The documents look like JSON but do not parse: ${error.message}`);
  }
  if (!Array.isArray(parsed)) {
    if (!Array.isArray(parsed.documents)) throw new Error('Pasted JSON must be an array of documents or a request with a "documents" array.');
    if (typeof parsed.query === "string") form.elements.query.value = parsed.query;
    if (typeof parsed.instruction === "string") form.elements.instruction.value = parsed.instruction;
    if (Number.isInteger(parsed.top_n)) form.elements.top_n.value = String(parsed.top_n);
    parsed = parsed.documents;
  }
  return parsed.map((item, i) => {
    if (typeof item === "string") return item;
    if (item && typeof item.text === "string") return item.text;
    throw new Error(`Document ${i + 1} of the pasted JSON is neither a string nor an object with "text".`);
  });
}

async function run() {
  let documents;
  try {
    documents = readDocuments();
  } catch (error) {
    message("rerank", error.message);
    return;
  }
  const model = form.elements.model.value || undefined;
  const query = form.elements.query.value;
  const instruction = form.elements.instruction.value.trim();
  const topN = optionalInteger(form.elements.top_n);
  const compare = form.elements.compare.checked;
  const request = withInstruction => call("v1/rerank", {
    method: "POST",
    body: { model, query, documents, top_n: topN, instruction: withInstruction && instruction ? instruction : undefined },
  });
  try {
    const rankings = compare && instruction
      ? await Promise.all([request(true), request(false)])
      : [await request(true)];
    const titles = rankings.length === 2
      ? ["With your instruction", "With the default instruction"]
      : [instruction ? "With your instruction" : "With the default instruction"];
    columns.replaceChildren(...rankings.map((answer, i) => ranking(titles[i], answer, documents)));
    result.hidden = false;
    message("rerank", compare && !instruction ? "Type an instruction to compare it with the default one." : "", "info");
  } catch (error) {
    showError("rerank", error);
  }
}

function ranking(title, answer, documents) {
  return el("section", { class: "ranking", "aria-label": title },
    el("h3", {}, title, el("small", { class: "note" }, `${answer.results.length} of ${documents.length} · ${answer.usage?.total_tokens ?? "?"} tokens`)),
    el("ol", { class: "ranked" }, answer.results.map((hit, rank) => el("li", {
      dataset: { index: String(hit.index), score: String(hit.relevance_score) },
    },
    el("span", { class: "rank" }, `#${rank + 1}`),
    el("div", { class: "scoreline" },
      bar(hit.relevance_score),
      el("span", { class: "score" }, fixed(hit.relevance_score)),
      movement(hit.index, rank, "the input order")),
    el("div", {},
      el("p", { class: "text" }, documents[hit.index]),
      el("span", { class: "from" }, `input #${hit.index + 1}`))))));
}
