// Talking to `os1 serve` over HTTP: JSON in, JSON out, and every failure turned into a
// sentence a person can act on (the server's own `detail` whenever it gives one).

let csrfFallback = "";  // from the signup/login answer, kept in memory only
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, message, { retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;  // seconds, on a 429
  }
}

/** Called when a signed-in request comes back 401 (the session ended elsewhere). */
export function whenSignedOut(handler) {
  onUnauthorized = handler;
}

/** Remember the token from signup/login, in case the cookie can't be read. */
export function rememberCsrf(token) {
  csrfFallback = token || "";
}

/** The double-submit token: the server compares this header with the os1_csrf cookie. */
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)os1_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : csrfFallback;
}

/** FastAPI says what was wrong either as a sentence or as a list of field errors. */
function describe(data, status) {
  const detail = data && data.detail;
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail.map((item) => {
      const field = Array.isArray(item.loc) ? item.loc[item.loc.length - 1] : "";
      const message = String(item.msg || "is not valid").replace(/^Value error, /, "");
      return field && field !== "body" ? `${field}: ${message}` : message;
    }).join(". ");
  }
  if (status >= 500) return "Something went wrong on the server. Try again in a moment.";
  return `The request failed (${status}).`;
}

/**
 * One request. `body` is sent as JSON (a string is sent as it is: an imported file).
 * Answers the parsed JSON, or null for 204. Throws ApiError.
 */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "Can't reach os1 right now. Check that the server is running, then try again.");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const retry = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  const error = new ApiError(response.status, describe(data, response.status),
    { retryAfter: Number.isFinite(retry) ? retry : null });
  // A wrong password on the sign-in form is also a 401; only a lost session sends us away.
  if (response.status === 401 && !path.startsWith("/api/auth/")) onUnauthorized();
  throw error;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);

/** A query string from the non-empty values: qs({q: "", before: 3}) -> "?before=3". */
export function qs(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
