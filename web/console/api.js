// api.js: the session (an access token in sessionStorage) and calls to the herald API.

const KEY = 'herald.console';
let onExpired = () => {};

export const session = {
  get() {
    try {
      const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
      if (s && s.token && (!s.expiresAt || s.expiresAt > Date.now())) return s;
    } catch { /* ignore */ }
    return null;
  },
  set(s) { sessionStorage.setItem(KEY, JSON.stringify(s)); },
  clear() { sessionStorage.removeItem(KEY); },
  onExpired(fn) { onExpired = fn; },
};

export class ApiError extends Error {
  constructor(status, body, text) {
    const e = body && body.error;
    const msg = (e && typeof e === 'object' && e.message) || (body && body.error_description)
      || (status ? `The server answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}` : text);
    super(msg);
    this.status = status;
    this.code = e && typeof e === 'object' ? e.code : (typeof e === 'string' ? e : undefined);
    this.details = (e && Array.isArray(e.details)) ? e.details : [];
    this.body = body;
  }
}

function b64(text) {
  const bytes = new TextEncoder().encode(text);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The client credentials grant; resolves with the token response, throws ApiError. */
export async function signIn(clientId, clientSecret) {
  let res;
  try {
    // credentials: 'omit' keeps the browser from opening its own sign-in prompt on the 401
    // (the token endpoint answers a wrong secret with WWW-Authenticate: Basic).
    res = await fetch('/oauth/token', {
      method: 'POST',
      credentials: 'omit',
      cache: 'no-store',
      headers: {
        authorization: `Basic ${b64(`${clientId}:${clientSecret}`)}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    });
  } catch (e) {
    throw new ApiError(0, null, `The server cannot be reached (${e.message}).`);
  }
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!res.ok || !body || !body.access_token) {
    if (res.status === 429) {
      const wait = res.headers.get('retry-after');
      throw new ApiError(429, body || { error_description: `Too many attempts; try again in ${wait || 'a few'} seconds.` }, text);
    }
    throw new ApiError(res.status, body, text);
  }
  const s = {
    token: body.access_token,
    scope: body.scope || '',
    clientId,
    expiresAt: Date.now() + (Number(body.expires_in) || 3600) * 1000 - 30000,
  };
  session.set(s);
  return s;
}

/** One API call: resolves with the parsed JSON (null for 204), throws ApiError. */
export async function api(method, path, body) {
  const s = session.get();
  if (!s) { onExpired(); throw new ApiError(401, null, 'Signed out.'); }
  const headers = { authorization: `Bearer ${s.token}` };
  let payload;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'omit' });
  } catch (e) {
    throw new ApiError(0, null, `The server cannot be reached (${e.message}).`);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (res.status === 401) {
    session.clear();
    onExpired();
    throw new ApiError(401, json, text);
  }
  if (!res.ok) throw new ApiError(res.status, json, text);
  return json;
}

export const enc = encodeURIComponent;

/** Every page of a list (up to max items). */
export async function listAll(path, max = 1000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=200${cursor ? `&cursor=${enc(cursor)}` : ''}`);
    items.push(...(page.items || []));
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return items;
}
