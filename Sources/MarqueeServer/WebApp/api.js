// The app's only way to the server: Marquee's public HTTP API, with the keys the user gave.
//
// Keys are never part of the page. `marquee demo` prints the app's URL with the admin key in the
// fragment (#admin=…), which browsers never send to a server; on start the app moves the keys it finds
// there into sessionStorage (gone when the tab closes) and clears the fragment. Without a key the
// pages that need one show a form to paste it.

const STORE = 'marquee.keys';
const SCOPES = ['admin', 'ingest', 'read'];

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function keys() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || '{}');
  } catch {
    return {};
  }
}

export function setKeys(next) {
  const clean = {};
  for (const scope of SCOPES) if (next[scope]) clean[scope] = String(next[scope]).trim();
  sessionStorage.setItem(STORE, JSON.stringify(clean));
  window.dispatchEvent(new CustomEvent('marquee:keys'));
}

export function forgetKeys() {
  sessionStorage.removeItem(STORE);
  window.dispatchEvent(new CustomEvent('marquee:keys'));
}

/** Moves `#admin=…&read=…&ingest=…` into session storage; true when the fragment held keys. */
export function adoptKeysFromFragment() {
  const raw = location.hash.replace(/^#/, '');
  if (!/(^|&)(admin|ingest|read)=/.test(raw)) return false;
  const params = new URLSearchParams(raw);
  const found = { ...keys() };
  for (const scope of SCOPES) if (params.get(scope)) found[scope] = params.get(scope);
  setKeys(found);
  history.replaceState(null, '', `${location.pathname}#/`);
  return true;
}

/** The key a request of this scope sends: the narrowest one that is allowed to make it. */
function keyFor(scope) {
  const k = keys();
  if (scope === 'admin') return k.admin;
  if (scope === 'ingest') return k.ingest || k.admin;
  return k.read || k.admin;
}

export function hasKey(scope) {
  return Boolean(keyFor(scope));
}

/**
 * One request. `scope` is what the route needs ('read' routes work without a key unless the
 * server protects reads). Answers parsed JSON (or text for XML), throws ApiError with the server's message.
 */
export async function request(method, path, { body, scope = 'read', accept = 'json', signal } = {}) {
  const headers = {};
  const key = keyFor(scope);
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', `The server did not answer (${error.message}). Is marquee still running?`);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  if (!response.ok) {
    let code = `http_${response.status}`;
    let message = `${method} ${path.split('?')[0]} answered ${response.status}`;
    try {
      const parsed = JSON.parse(text);
      if (parsed && parsed.error) {
        code = parsed.error.code || code;
        message = parsed.error.message || message;
      }
    } catch {
      // not JSON: keep the generic message
    }
    if (response.status === 401 || response.status === 403) {
      message = `${message} — ${scope === 'read' ? 'this server protects reads: paste a read or admin key' : `an ${scope} key is needed`}`;
      window.dispatchEvent(new CustomEvent('marquee:needs-key', { detail: { scope, message } }));
    }
    throw new ApiError(response.status, code, message);
  }
  if (accept === 'text') return text;
  return text ? JSON.parse(text) : null;
}

export const api = {
  get: (path, options) => request('GET', path, options),
  post: (path, body, options = {}) => request('POST', path, { ...options, body }),
  put: (path, body, options = {}) => request('PUT', path, { ...options, body }),
  del: (path, options) => request('DELETE', path, options),
  admin: {
    get: (path) => request('GET', path, { scope: 'admin' }),
    post: (path, body) => request('POST', path, { scope: 'admin', body }),
    put: (path, body) => request('PUT', path, { scope: 'admin', body }),
    del: (path) => request('DELETE', path, { scope: 'admin' }),
  },
  /** Sends viewer events (POST /v1/events, an ingest or admin key); answers the ingest result. */
  events: (events) => request('POST', '/v1/events', { scope: 'ingest', body: { events } }),
  /** Fires a signed tracking beacon (no key: players call these). Errors are reported, not thrown. */
  beacon: async (url) => {
    if (!url) return false;
    try {
      const response = await fetch(url, { method: 'GET', keepalive: true });
      return response.status === 204;
    } catch {
      return false;
    }
  },
};

let counter = 0;
/** A fresh id for events and sessions: `prefix-<time>-<random>`. */
export function newId(prefix) {
  counter += 1;
  const random = Math.floor(Math.random() * 0xffffffff).toString(36);
  return `${prefix}-${Date.now().toString(36)}-${random}${counter}`;
}

export function qs(params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, v);
  const s = search.toString();
  return s ? `?${s}` : '';
}
