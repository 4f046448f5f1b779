// The REST API under /api/v1, with the token the operator logged in with.
// The token lives in sessionStorage: it is gone when the tab closes, and
// other sites cannot read it.

const KEY = 'ivrd-token';

export function token() { return sessionStorage.getItem(KEY) || ''; }
export function setToken(t) { sessionStorage.setItem(KEY, t); }
export function clearToken() { sessionStorage.removeItem(KEY); }

// ApiError carries the status and, for 422, every problem with its path.
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || ('HTTP ' + status));
    this.status = status;
    this.code = e.code || '';
    this.problems = e.problems || [];
  }
}

// onUnauthorized is called when the token stops working (revoked): the
// page goes back to the login form.
let onUnauthorized = () => {};
export function whenUnauthorized(f) { onUnauthorized = f; }

// call sends one request; it resolves to {status, body, etag} for 2xx and
// rejects with ApiError otherwise.
export async function call(method, path, {body, etag, type, raw, tok} = {}) {
  const headers = {Authorization: 'Bearer ' + (tok || token())};
  let data = body;
  if (body !== undefined && !raw) {
    headers['Content-Type'] = 'application/json';
    data = JSON.stringify(body);
  } else if (type) {
    headers['Content-Type'] = type;
  }
  if (etag) headers['If-Match'] = etag;
  const resp = await fetch('/api/v1' + path, {method, headers, body: data, cache: 'no-store'});
  if (resp.status === 204) return {status: 204, body: null, etag: ''};
  const ct = resp.headers.get('Content-Type') || '';
  const out = ct.startsWith('application/json') ? await resp.json() : await resp.blob();
  if (!resp.ok) {
    if (resp.status === 401 && !tok) onUnauthorized();
    throw new ApiError(resp.status, ct.startsWith('application/json') ? out : null);
  }
  return {status: resp.status, body: out, etag: resp.headers.get('ETag') || ''};
}

// list reads every page of a collection.
export async function list(kind) {
  let items = [];
  let cursor = '';
  for (;;) {
    const q = '?limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
    const r = await call('GET', '/' + kind + q);
    items = items.concat(r.body.items);
    if (!r.body.next_cursor) return items;
    cursor = r.body.next_cursor;
  }
}

// withoutMeta is a resource as it is sent back: the read-only fields off.
export function withoutMeta(r) {
  const out = structuredClone(r);
  delete out.version;
  delete out.updated_at;
  delete out.password_set;
  return out;
}

export const etagOf = (r) => '"' + r.version + '"';
