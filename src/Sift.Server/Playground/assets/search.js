// Search: pick a collection, ask a query → the two-stage results (vector recall, then rerank) with
// both scores, how far each result moved from the vector order, its best chunk, metadata, whether
// it was reranked (or why not) and the time of each stage; create a collection and upsert a few
// documents from the page.

import { call } from "./api.js";
import { el, busy, showError, message, submitOnCtrlEnter, optionalInteger, lines, fixed, movement, bar } from "./dom.js";

const form = document.getElementById("search-form");
const collectionSelect = document.getElementById("search-collection");
const result = document.getElementById("search-result");
const summary = document.getElementById("search-summary");
const hits = document.getElementById("search-hits");
const collectionForm = document.getElementById("collection-form");
const upsertForm = document.getElementById("upsert-form");
let listed = false;

export function init() {
  submitOnCtrlEnter(form);
  submitOnCtrlEnter(upsertForm);
  form.addEventListener("submit", event => {
    event.preventDefault();
    busy(form.querySelector('button[type="submit"]'), "Searching…", run);
  });
  document.getElementById("search-refresh").addEventListener("click", () => listCollections());
  collectionForm.addEventListener("submit", event => {
    event.preventDefault();
    busy(collectionForm.querySelector('button[type="submit"]'), "Creating…", create);
  });
  upsertForm.addEventListener("submit", event => {
    event.preventDefault();
    busy(upsertForm.querySelector('button[type="submit"]'), "Adding…", upsert);
  });
}

/** A new key may open what an old one could not: list again if the list was shown. */
export function modelsLoaded() {
  if (listed) listCollections();
}

export function shown(visible) {
  if (visible && !listed) listCollections();
}

/** Collections from GET /v1/collections; the select keeps its choice when the collection still exists. */
async function listCollections(choose) {
  listed = true;
  try {
    const answer = await call("v1/collections");
    const collections = (answer.data ?? answer.collections ?? (Array.isArray(answer) ? answer : []))
      .map(c => (typeof c === "string" ? { name: c } : c));
    const current = choose ?? collectionSelect.value;
    collectionSelect.replaceChildren(...collections.map(c => el("option", { value: c.name }, describeCollection(c))));
    if (collections.some(c => c.name === current)) collectionSelect.value = current;
    if (collections.length === 0) {
      collectionSelect.append(el("option", { value: "" }, "no collection yet: create one below"));
      document.getElementById("search-manage").open = true;
    }
    message("search", "");
  } catch (error) {
    showError("search", error);
  }
}

function describeCollection(c) {
  const count = c.documents ?? c.document_count ?? c.count;
  return [c.name, count !== undefined ? `${count} document${count === 1 ? "" : "s"}` : null, c.model, c.dimensions ? `${c.dimensions} dims` : null]
    .filter(Boolean).join(" · ");
}

async function create() {
  const name = collectionForm.elements.name.value.trim();
  if (!name) {
    message("manage", "Give the new collection a name.");
    return;
  }
  try {
    await call("v1/collections", { method: "POST", body: { name, model: collectionForm.elements.model.value || undefined } });
    message("manage", `Created the collection “${name}”.`, "info");
    await listCollections(name);
  } catch (error) {
    showError("manage", error);
  }
}

/** A stable id for a plain line (FNV-1a of its text), so adding the same line twice replaces it. */
function idOf(text) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `line-${hash.toString(16).padStart(8, "0")}`;
}

function readUpserts() {
  return lines(upsertForm.elements.documents.value).map((line, i) => {
    if (!line.startsWith("{")) return { id: idOf(line), text: line };
    try {
      return JSON.parse(line);
    } catch (error) {
      throw new Error(`Line ${i + 1} looks like JSON but does not parse: ${error.message}`);
    }
  });
}

async function upsert() {
  const collection = collectionSelect.value;
  if (!collection) {
    message("manage", "Create or choose a collection first.");
    return;
  }
  let documents;
  try {
    documents = readUpserts();
  } catch (error) {
    message("manage", error.message);
    return;
  }
  if (documents.length === 0) {
    message("manage", "Type at least one document.");
    return;
  }
  try {
    await call(`v1/collections/${encodeURIComponent(collection)}/documents`, { method: "POST", body: { documents } });
    message("manage", `Added ${documents.length} document${documents.length === 1 ? "" : "s"} to “${collection}”.`, "info");
    await listCollections(collection);
  } catch (error) {
    showError("manage", error);
  }
}

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

function readFilter() {
  const pairs = lines(form.elements.filter.value);
  if (pairs.length === 0) return undefined;
  const filter = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`Filter line “${pair}” is not key=value.`);
    const key = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1).trim();
    // Metadata values are strings, numbers or booleans: 3 and true match as such, "3" as text. Only
    // JSON's number syntax is a number (as in the CLI): Number() would read 0x10 as 16 and Infinity as null.
    filter[key] = /^(true|false)$/.test(raw) ? raw === "true" : JSON_NUMBER.test(raw) ? Number(raw) : raw.replace(/^"(.*)"$/, "$1");
  }
  return filter;
}

async function run() {
  const collection = collectionSelect.value;
  if (!collection) {
    message("search", "Choose a collection (or create one below) first.");
    return;
  }
  let filter;
  try {
    filter = readFilter();
  } catch (error) {
    message("search", error.message);
    return;
  }
  const text = value => value.trim() || undefined;
  const body = {
    query: form.elements.query.value,
    instruction: text(form.elements.instruction.value),
    top_k: optionalInteger(form.elements.top_k),
    top_n: optionalInteger(form.elements.top_n),
    filter,
    rerank: form.elements.rerank.checked,
    rerank_instruction: text(form.elements.rerank_instruction.value),
    // Sent only when asked for, so servers without hybrid recall answer plain searches.
    hybrid: form.elements.hybrid.checked ? true : undefined,
  };
  try {
    const answer = await call(`v1/collections/${encodeURIComponent(collection)}/search`, { method: "POST", body });
    draw(answer, body.query);
    message("search", "");
  } catch (error) {
    showError("search", error);
  }
}

function draw(answer, query) {
  const results = answer.results ?? [];
  summary.replaceChildren(
    answer.reranked
      ? el("span", { class: "badge good", id: "search-reranked" }, "reranked")
      : notReranked(answer),
    el("span", {}, `${results.length} result${results.length === 1 ? "" : "s"}`
      + (typeof answer.recalled === "number" ? ` of ${answer.recalled} recalled` : "")),
    answer.usage?.total_tokens !== undefined ? el("span", { class: "note" }, `${answer.usage.total_tokens} tokens`) : null,
    timings(answer.timings_ms, answer.hybrid === false ? ["lexical"] : []));

  // Where each result stood in the vector stage's order (its rank among these results by vector score).
  // A result found by the lexical stage alone has no vector score: it comes after every vector-found one.
  const byVector = results.map((hit, i) => ({ i, score: typeof hit.vector_score === "number" ? hit.vector_score : -Infinity }))
    .sort((a, b) => b.score - a.score || a.i - b.i);
  const vectorPlace = new Map(byVector.map((entry, place) => [entry.i, place]));

  hits.replaceChildren(...results.map((hit, rank) => el("li", { dataset: { id: String(hit.id), score: String(hit.score), vectorScore: String(hit.vector_score) } },
    el("span", { class: "rank" }, `#${rank + 1}`),
    el("div", { class: "hit-head" },
      el("span", { class: "hit-id" }, String(hit.id)),
      bar(hit.score),
      el("span", { class: "score", title: answer.reranked ? "rerank score" : "vector score" }, `${answer.reranked ? "rerank" : "score"} ${fixed(hit.score)}`),
      answer.reranked ? el("span", { class: "note", title: "cosine similarity of the best chunk" }, `vector ${fixed(hit.vector_score)}`) : null,
      answer.reranked ? movement(vectorPlace.get(rank), rank, "the vector order") : null,
      stage(hit)),
    el("div", {},
      chunk(hit.chunk, query),
      metadata(hit.metadata)))));
  result.hidden = false;
}

/** What the server's fallback_reason values mean, for the badge's tooltip. */
const fallbackReasons = {
  reranker_failed: "the reranker failed (the server log has why)",
  reranker_not_loaded: "the reranker is still loading, or the server is shutting down",
  reranker_overloaded: "the reranker had no capacity for this search",
  rerank_timeout: "the reranker did not answer within the rerank timeout",
  no_reranker: "the server has no reranker",
};

/** Results in the first stage's order: asked for (rerank off), or a fallback the server names in fallback_reason. */
function notReranked(answer) {
  const order = answer.hybrid ? "fused order" : "vector order";
  const reason = answer.fallback_reason;
  if (!reason) return el("span", { class: "badge warn", id: "search-reranked" }, `not reranked (${order})`);
  return el("span", { class: "badge warn", id: "search-reranked", title: `${fallbackReasons[reason] ?? reason}; results in ${order}`, dataset: { fallbackReason: reason } },
    `not reranked: ${reason} (${order})`);
}

/** Which recall stage found the result: the hit's "stage", "vector", "lexical" or "both" (hybrid search). */
function stage(hit) {
  const found = hit.stage;
  if (typeof found !== "string") return null;
  const text = found === "both" ? "vector + lexical" : found;
  return el("span", { class: "badge stage", title: "the recall stage that found it", dataset: { stage: found } }, `found by ${text}`);
}

/** The stages' times as one bar (each stage its share of the total) and a legend; "total" is the whole, not a stage; stages that did not run are left out. */
function timings(stages, notRun) {
  if (!stages || typeof stages !== "object") return null;
  const entries = Object.entries(stages).filter(([name, ms]) => name !== "total" && !notRun.includes(name) && typeof ms === "number");
  const total = typeof stages.total === "number" ? stages.total : entries.reduce((sum, [, ms]) => sum + ms, 0);
  return el("span", { class: "timing-block", style: { display: "contents" } },
    el("span", { class: "timings", role: "img", "aria-label": entries.map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`).join(", ") },
      entries.map(([name, ms]) => el("i", { title: `${name}: ${ms.toFixed(1)} ms`, style: { width: `${total > 0 ? (ms / total) * 100 : 0}%` } }))),
    el("span", { class: "timing-legend", id: "search-timings" },
      entries.map(([name, ms]) => el("span", { dataset: { stage: name, ms: String(ms) } }, `${name} ${ms.toFixed(1)} ms`)),
      el("b", { dataset: { stage: "total", ms: String(total) } }, `total ${total.toFixed(1)} ms`)));
}

function metadata(values) {
  if (!values || typeof values !== "object" || Object.keys(values).length === 0) return null;
  return el("div", { class: "meta", "aria-label": "metadata" }, Object.entries(values).map(([key, value]) => el("span", {}, `${key}: ${JSON.stringify(value)}`)));
}

/** The best chunk, with the query's words marked (for Chinese and Japanese, its two-character runs). */
function chunk(best, query) {
  if (!best) return null;
  const text = String(best.text ?? "");
  const terms = queryTerms(query);
  const body = el("span", { class: "chunk-text" });
  if (terms.length === 0) {
    body.append(text);
  } else {
    const pattern = new RegExp(`(${terms.map(t => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "giu");
    for (const [i, part] of text.split(pattern).entries()) body.append(i % 2 === 1 ? el("mark", {}, part) : part);
  }
  return el("p", { class: "chunk" }, el("span", { class: "chunk-label" }, `best chunk #${best.index}`), body);
}

const stopWords = new Set(["the", "and", "for", "with", "what", "which", "who", "how", "are", "was", "that", "this", "from", "into", "does"]);

function queryTerms(query) {
  const terms = new Set();
  for (const word of query.match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u.test(word)) {
      const characters = [...word];
      if (characters.length === 1) terms.add(word);
      for (let i = 0; i + 1 < characters.length; i++) terms.add(characters[i] + characters[i + 1]);
    } else if (word.length >= 3 && !stopWords.has(word.toLowerCase())) {
      terms.add(word);
    }
  }
  return [...terms].sort((a, b) => b.length - a.length);
}
