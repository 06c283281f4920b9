// Status: readiness, the served models (with whatever else /v1/models says about them) and a few
// live numbers read from /metrics (Prometheus text), refreshed every 5 s while the tab is shown.

import { call, ApiError } from "./api.js";
import { el, showError, message } from "./dom.js";

const readyBadge = document.getElementById("status-ready");
const modelsBody = document.querySelector("#status-models tbody");
const metricsList = document.getElementById("status-metrics");
const auto = document.getElementById("status-auto");
const time = document.getElementById("status-time");
const refreshEvery = 5000;
let visible = false;
let timer = 0;

export function init() {
  document.getElementById("status-refresh").addEventListener("click", refresh);
  auto.addEventListener("change", schedule);
  document.addEventListener("visibilitychange", schedule);
}

export function shown(isShown) {
  visible = isShown;
  if (visible) refresh();
  else schedule();
}

function schedule() {
  clearTimeout(timer);
  if (visible && auto.checked && document.visibilityState === "visible") timer = setTimeout(refresh, refreshEvery);
}

async function refresh() {
  clearTimeout(timer);
  try {
    const [ready, models, metrics] = await Promise.all([readiness(), call("v1/models"), call("metrics", { text: true })]);
    readyBadge.textContent = ready.text;
    readyBadge.className = `badge ${ready.kind}`;
    readyBadge.dataset.status = ready.status;
    drawModels(models.data ?? []);
    drawMetrics(parse(metrics));
    time.textContent = `updated ${new Date().toLocaleTimeString()}`;
    message("status", "");
  } catch (error) {
    showError("status", error);
  } finally {
    schedule();
  }
}

/** /ready answers 200 when every model is loaded and 503 with {"status": "loading" | "failed"} before. */
async function readiness() {
  try {
    await call("ready");
    return { status: "ready", text: "ready", kind: "good" };
  } catch (error) {
    if (error instanceof ApiError && error.status === 503) {
      const failed = /failed/.test(error.message);
      return failed ? { status: "failed", text: "a model failed to load", kind: "bad" } : { status: "loading", text: "loading models…", kind: "warn" };
    }
    throw error;
  }
}

const shownFields = new Set(["id", "object", "created", "owned_by", "kind", "dtype", "dimensions", "max_model_len"]);

function drawModels(models) {
  modelsBody.replaceChildren(...models.map(model => el("tr", { dataset: { model: model.id } },
    el("td", {}, el("b", {}, model.id)),
    el("td", { dataset: { field: "kind" } }, model.kind ?? "–"),
    el("td", { dataset: { field: "dtype" } }, model.dtype ?? "–"),
    el("td", { class: "num", dataset: { field: "dimensions" } }, model.dimensions ?? "–"),
    el("td", { class: "num", dataset: { field: "max_model_len" } }, model.max_model_len ?? "–"),
    // Whatever else the server reports (threads, limits, memory budget, revision, weight files...).
    el("td", { class: "more-fields" }, Object.entries(model).filter(([key]) => !shownFields.has(key))
      .map(([key, value]) => el("div", {}, `${key.replaceAll("_", " ")}: ${describeField(key, value)}`))))));
}

function bytes(count) {
  return count >= 1073741824 ? `${(count / 1073741824).toFixed(2)} GiB` : `${(count / 1048576).toFixed(1)} MiB`;
}

/** A /v1/models field in words: byte counts in MiB or GiB, weight files with their size and short hash, null as "none". */
function describeField(key, value) {
  if (value === null || value === undefined) return "none";
  if (typeof value === "number" && (key.endsWith("_bytes") || key === "memory_budget")) return bytes(value);
  if (Array.isArray(value)) {
    return value.map(item => (item && typeof item === "object" && "name" in item
      ? `${item.name}${typeof item.bytes === "number" ? ` (${bytes(item.bytes)}` : " ("}${item.sha256 ? `, sha256 ${String(item.sha256).slice(0, 12)}…` : ""})`
      : JSON.stringify(item))).join(", ");
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Prometheus text format: "name{label="value",...} number" lines; comments and blank lines skipped. */
function parse(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    for (const [, key, value] of (match[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1], labels, value: Number(match[4]) });
  }
  return samples;
}

function sum(samples, name, where = () => true) {
  const matching = samples.filter(s => s.name === name && where(s.labels));
  return matching.length ? matching.reduce((total, s) => total + s.value, 0) : undefined;
}

function byLabel(samples, name, label) {
  return samples.filter(s => s.name === name).map(s => [s.labels[label] ?? "", s.value]);
}

function card(title, value, detail, data) {
  return el("div", { dataset: data }, el("dt", {}, title), el("dd", {}, value, detail ? el("small", { class: "note" }, ` ${detail}`) : null));
}

function drawMetrics(samples) {
  const cards = [];
  const requests = sum(samples, "sift_requests_total");
  if (requests !== undefined) {
    const failed = sum(samples, "sift_requests_total", l => Number(l.status) >= 400) ?? 0;
    cards.push(card("Requests", String(requests), `${failed} answered with an error`, { metric: "sift_requests_total", value: String(requests) }));
  }
  for (const [model, tokens] of byLabel(samples, "sift_tokens_processed_total", "model")) {
    cards.push(card(`Tokens processed · ${model}`, String(tokens), null, { metric: "sift_tokens_processed_total", model, value: String(tokens) }));
  }
  for (const [model, depth] of byLabel(samples, "sift_queue_depth", "model")) {
    cards.push(card(`Queue · ${model}`, String(depth), "sequences waiting", { metric: "sift_queue_depth", model, value: String(depth) }));
  }
  for (const [route, count] of byLabel(samples, "sift_request_duration_seconds_count", "route")) {
    if (!route.startsWith("POST") || count === 0) continue;
    const seconds = sum(samples, "sift_request_duration_seconds_sum", l => l.route === route);
    cards.push(card(`Mean latency · ${route}`, `${((seconds / count) * 1000).toFixed(1)} ms`, `over ${count}`,
      { metric: "sift_request_duration_seconds", route, value: String(seconds / count) }));
  }
  for (const [model, seconds] of byLabel(samples, "sift_model_load_seconds", "model")) {
    cards.push(card(`Load time · ${model}`, `${seconds.toFixed(2)} s`, null, { metric: "sift_model_load_seconds", model, value: String(seconds) }));
  }
  for (const name of ["dotnet_process_memory_working_set_bytes", "process_resident_memory_bytes"]) {
    const memory = sum(samples, name);
    if (memory === undefined) continue;
    cards.push(card("Memory in use", `${(memory / 1048576).toFixed(0)} MiB`, "working set", { metric: name, value: String(memory) }));
    break;
  }
  if (cards.length === 0) cards.push(card("Metrics", "–", `none of the series this page knows among ${samples.length}`, {}));
  metricsList.replaceChildren(...cards);
}
