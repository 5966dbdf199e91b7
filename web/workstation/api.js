// api.js: the end user's client API (SPEC §6) as seen from the page: the list, read state, the
// live stream URL, and the token kept in sessionStorage.

const KEY = 'herald.workstation.token';

export class Unauthorized extends Error {}

export const session = {
  get() {
    try { return sessionStorage.getItem(KEY); } catch { return null; }
  },
  set(token) {
    try { sessionStorage.setItem(KEY, token); } catch { /* private mode: this page only */ }
  },
  clear() {
    try { sessionStorage.removeItem(KEY); } catch { /* nothing kept */ }
  },
};

/** The token in `#token=…`, if any (the fragment never reaches the server). */
export function tokenFromHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const t = params.get('token');
  return t && t.trim() ? t.trim() : null;
}

/** The user id a token names, for display only (a JWT's `sub`), or null. */
export function userOf(token) {
  try {
    const part = token.split('.')[1];
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const sub = JSON.parse(new TextDecoder().decode(bytes)).sub;
    return typeof sub === 'string' ? sub : null;
  } catch {
    return null;
  }
}

async function call(token, method, path, { keepalive = false } = {}) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    cache: 'no-store',
    keepalive,
  });
  if (res.status === 401) throw new Unauthorized('The token was not accepted.');
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try { message = (await res.json()).error?.message || message; } catch { /* not JSON */ }
    throw new Error(message);
  }
  return res.status === 204 ? null : res.json();
}

export function fetchList(token, cursor) {
  const q = new URLSearchParams({ limit: '50' });
  if (cursor) q.set('cursor', cursor);
  return call(token, 'GET', `/v1/me/notifications?${q}`);
}

/** Records seen, clicked or dismissed for one notification (idempotent on the server). */
export function mark(token, id, what) {
  return call(token, 'POST', `/v1/me/notifications/${encodeURIComponent(id)}/${what}`, { keepalive: true });
}

export function streamUrl(token) {
  return `/v1/me/stream?access_token=${encodeURIComponent(token)}`;
}

/** The button's URL when it is http(s), else null (nothing else becomes a link). */
export function safeUrl(button) {
  if (!button || typeof button.url !== 'string') return null;
  try {
    const u = new URL(button.url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}
