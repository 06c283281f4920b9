// Calls the server's own public API. Paths are relative to the page, so the playground also works
// behind a proxy that serves Sift under a prefix (https://host/sift/ → https://host/sift/v1/...).

const keyStorage = "sift.apiKey";

/** An API answer that is not 2xx, or a server that cannot be reached, in words a person can act on. */
export class ApiError extends Error {
  constructor(status, message, code, path) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code ?? null;
    this.path = path;
  }
}

/** The API key lives in sessionStorage: this tab only, gone when the tab closes, never in localStorage or a cookie. */
export function apiKey() {
  try { return sessionStorage.getItem(keyStorage) ?? ""; } catch { return ""; }
}

export function setApiKey(key) {
  try {
    if (key) sessionStorage.setItem(keyStorage, key); else sessionStorage.removeItem(keyStorage);
  } catch { /* storage disabled: the key stays in the field only */ }
}

/**
 * One API call: JSON in, JSON (or text) out. Errors become ApiError with the server's own message,
 * from either error shape Sift sends ({"error": {"message"}} on /v1, {"error": "..."} on TEI routes).
 */
export async function call(path, { method = "GET", body, signal, text = false } = {}) {
  const headers = { Accept: text ? "text/plain" : "application/json" };
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: "no-store" });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, `Could not reach the server (${error.message}). Is sift serve still running?`, null, path);
  }
  const raw = await response.text();
  if (!response.ok) {
    const { message, code, bare } = errorOf(raw, response);
    const error = new ApiError(response.status, message, code, path);
    error.bare = bare === true;
    throw error;
  }
  if (text) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new ApiError(response.status, `The server answered ${path} with something that is not JSON: ${raw.slice(0, 200)}`, null, path);
  }
}

function errorOf(raw, response) {
  try {
    const body = JSON.parse(raw);
    if (typeof body.error === "string") return { message: body.error, code: body.error_type };
    if (body.error && typeof body.error.message === "string") return { message: body.error.message, code: body.error.code };
    if (typeof body.message === "string") return { message: body.message };
    if (typeof body.status === "string") return { message: `status: ${body.status}` };
  } catch { /* not JSON: use the text */ }
  return { message: raw.trim() || response.statusText || "(no message)", bare: true };
}

/** The sentence shown for a failed call: what the server said, and what to do where that is clear. */
export function describe(error) {
  if (!(error instanceof ApiError)) return `Something went wrong in the page: ${error.message}`;
  if (error.status === 0) return error.message;
  let text = `The server answered ${error.status}: ${error.message}`;
  if (error.status === 401) text += ". Enter the server's API key at the top of the page.";
  else if (error.status === 404 && error.bare) text = `This server has no ${error.path} route (a Sift version without it?).`;
  else if (error.status === 429 || error.status === 503) text += ". Try again in a moment.";
  return text;
}
