// app.js: the end user's client (SPEC §8): sign in with an end-user token, the bell with the
// unread count, the list, push toasts, popups that must be acknowledged, live over SSE (SPEC §6).
import {
  session, tokenFromHash, userOf, fetchList, mark, streamUrl, Unauthorized,
} from './api.js';
import { el, actionLink, listItem, updateItem, toast } from './view.js';

const TOAST_MS = 8000;
const REFUSED = 'That token was not accepted: it may be mistyped or expired.';
const $ = (id) => document.getElementById(id);

const ui = {
  signin: $('signin'), form: $('signin-form'), input: $('token-input'), error: $('signin-error'),
  home: $('home'), controls: $('controls'), bell: $('bell'), count: $('unread-count'),
  panel: $('panel'), list: $('list'), empty: $('empty'), more: $('more'), close: $('close-panel'),
  summary: $('summary'), who: $('who'), status: $('status'), toasts: $('toasts'),
  openList: $('open-list'), popup: $('popup'), alerts: $('desktop-alerts'), signOut: $('sign-out'),
};

/** Everything tied to one signed-in session; replaced wholesale on sign-in and sign-out. */
let s = null;

function newSession(token) {
  return {
    token,
    items: new Map(),      // id → item, as the API returns it
    unread: 0,
    nextCursor: null,
    es: null,
    lastEventId: null,
    retryTimer: 0,
    listed: false,         // the first page has arrived
    live: false,           // the stream is open
    popups: [],            // ids waiting to be acknowledged, oldest first; [0] is on screen
    toastTimers: new Map(),
    systemAlerts: new Map(),
    lastRefresh: 0,
    arriving: null,        // id → item from the stream while a list request is in flight
  };
}

// ---- sign-in ----

function start() {
  const fromHash = tokenFromHash(location.hash);
  if (fromHash) {
    history.replaceState(null, '', location.pathname + location.search);
    signIn(fromHash);
  } else if (session.get()) {
    signIn(session.get());
  } else {
    showSignIn();
  }
}

function showSignIn(message) {
  ui.home.hidden = true;
  ui.controls.hidden = true;
  ui.signin.hidden = false;
  ui.error.textContent = message || '';
  ui.error.hidden = !message;
  setStatus('');
  document.title = 'herald · Workstation';
  ui.input.focus();
}

function signIn(token) {
  stop();
  session.set(token);
  s = newSession(token);
  ui.signin.hidden = true;
  ui.home.hidden = false;
  ui.controls.hidden = false;
  ui.input.value = '';
  const user = userOf(token);
  ui.who.textContent = user ? `Signed in as ${user}` : '';
  ui.summary.textContent = 'Loading…';
  setPanel(false);
  renderList();
  updateAlertsButton();
  connect();
  load();
}

function stop() {
  if (!s) return;
  s.es?.close();
  clearTimeout(s.retryTimer);
  for (const t of s.toastTimers.values()) clearTimeout(t);
  for (const n of s.systemAlerts.values()) n.close();
  ui.toasts.replaceChildren();
  s.popups = [];
  if (ui.popup.open) ui.popup.close();
  seenObserver.disconnect();
  document.body.removeAttribute('data-live');
  s = null;
}

function signOut(message) {
  stop();
  session.clear();
  ui.list.replaceChildren();
  showSignIn(message);
}

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = ui.input.value.trim();
  if (token) signIn(token);
});
ui.signOut.addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => {
  const t = tokenFromHash(location.hash);
  if (!t) return;
  history.replaceState(null, '', location.pathname + location.search);
  signIn(t);
});

/** Runs fn(result) only if the session that started the call is still the current one. */
function guard(promise, ok) {
  const mine = s;
  return promise.then(
    (v) => { if (s === mine) ok(v); },
    (err) => {
      if (s !== mine) return;
      if (err instanceof Unauthorized) signOut(REFUSED);
      else setStatus(`Could not reach the server: ${err.message}`, true);
    },
  );
}

// ---- the list ----

function load() {
  s.lastRefresh = Date.now();
  // what the stream brings while the page is on its way may be missing from it: kept on top
  const arrived = new Map();
  s.arriving = arrived;
  return guard(fetchList(s.token), (page) => {
    if (s.arriving === arrived) s.arriving = null;
    // on a refresh (after a reconnect), what is new since the last look is announced as if live
    const before = s.listed ? new Set(s.items.keys()) : null;
    const extra = [...arrived.values()].reverse().filter((it) => !page.items.some((p) => p.id === it.id));
    s.items = new Map([...extra, ...page.items].map((it) => [it.id, it]));
    s.unread = (page.unreadCount ?? page.items.filter(isUnread).length) + extra.filter(isUnread).length;
    s.nextCursor = page.nextCursor || null;
    s.listed = true;
    renderList();
    // popups that arrived while away still need acknowledging, oldest first
    for (const it of [...page.items].reverse())
      if (it.type === 'popup' && isUnread(it)) enqueuePopup(it.id);
      else if (before && !before.has(it.id) && isUnread(it)) { showToast(it); systemAlert(it); }
    markReady();
  });
}

ui.more.addEventListener('click', () => {
  if (!s?.nextCursor) return;
  ui.more.disabled = true;
  guard(fetchList(s.token, s.nextCursor), (page) => {
    for (const it of page.items) {
      if (s.items.has(it.id)) continue;
      s.items.set(it.id, it);
      const li = listItem(it);
      ui.list.append(li);
      seenObserver.observe(li);
    }
    s.nextCursor = page.nextCursor || null;
    renderMeta();
  }).finally(() => { ui.more.disabled = false; });
});

const isUnread = (it) => !it.seenAt && !it.expired;

function renderList() {
  seenObserver.disconnect();
  const lis = s ? [...s.items.values()].map(listItem) : [];
  ui.list.replaceChildren(...lis);
  for (const li of lis) seenObserver.observe(li);
  renderMeta();
}

function renderMeta() {
  if (!s) return;
  const n = Math.max(0, s.unread);
  ui.count.textContent = n > 99 ? '99+' : String(n);
  ui.count.hidden = n === 0;
  ui.bell.setAttribute('aria-describedby', 'bell-desc');
  bellDesc.textContent = n ? `${n} unread` : 'none unread';
  document.title = n ? `(${n}) herald · Workstation` : 'herald · Workstation';
  ui.empty.hidden = s.items.size > 0 || !s.listed;
  ui.more.hidden = !s.nextCursor;
  if (s.listed) {
    ui.summary.textContent = n === 0
      ? (s.items.size ? 'You are all caught up.' : 'No notifications yet.')
      : `You have ${n} unread notification${n === 1 ? '' : 's'}.`;
  }
}

const bellDesc = el('span', 'sr-only');
bellDesc.id = 'bell-desc';
document.body.append(bellDesc);

const itemEl = (id) => ui.list.querySelector(`li[data-id="${CSS.escape(id)}"]`);

function addItem(it) {
  s.items.set(it.id, it);
  if (isUnread(it)) s.unread++;
  const li = listItem(it);
  ui.list.prepend(li);
  seenObserver.observe(li);
  renderMeta();
}

function removeItem(id) {
  s.arriving?.delete(id);
  const it = s.items.get(id);
  if (it && isUnread(it)) s.unread--;
  s.items.delete(id);
  itemEl(id)?.remove();
  removeToast(id);
  dropPopup(id);
  s.systemAlerts.get(id)?.close();
  renderMeta();
}

/** Marks an item seen here at once, then tells the server (idempotent there). */
function markSeen(id) {
  const it = s?.items.get(id);
  if (!it || it.seenAt) return;
  if (isUnread(it)) s.unread--;
  it.seenAt = new Date().toISOString();
  const li = itemEl(id);
  if (li) updateItem(li, it);
  renderMeta();
  guard(mark(s.token, id, 'seen'), () => {});
}

// An item becomes seen once at least half of it shows in the open list; a popup waiting for its
// OK is not seen by being listed.
const seenObserver = new IntersectionObserver((entries) => {
  if (!s || ui.panel.hidden) return;
  for (const e of entries) {
    if (!e.isIntersecting) continue;
    const id = e.target.dataset.id;
    if (s.popups.includes(id)) continue;
    markSeen(id);
  }
}, { threshold: 0.5 });

function setPanel(open) {
  ui.panel.hidden = !open;
  ui.bell.setAttribute('aria-expanded', String(open));
  ui.openList.hidden = open;
  if (open && s) {
    // re-observe so what is already on screen reports now that the list is open
    for (const li of ui.list.children) { seenObserver.unobserve(li); seenObserver.observe(li); }
  }
}

ui.bell.addEventListener('click', () => setPanel(ui.panel.hidden));
ui.close.addEventListener('click', () => { setPanel(false); ui.bell.focus(); });
ui.openList.addEventListener('click', () => { setPanel(true); ui.close.focus(); });
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !ui.popup.open && !ui.panel.hidden) {
    setPanel(false);
    ui.bell.focus();
  }
});

// clicks on any action link (list, toast, popup) are counted; the link itself opens the tab
function onLinkActivated(e) {
  const a = e.target.closest('a.action');
  const host = a?.closest('[data-id]');
  if (!a || !host || !s) return;
  if (e.type === 'auxclick' && e.button !== 1) return;
  guard(mark(s.token, host.dataset.id, 'clicked'), () => {});
}
document.addEventListener('click', onLinkActivated);
document.addEventListener('auxclick', onLinkActivated);

ui.list.addEventListener('click', (e) => {
  const btn = e.target.closest('button.dismiss');
  if (!btn || !s) return;
  const li = btn.closest('li[data-id]');
  const id = li.dataset.id;
  const next = li.nextElementSibling || li.previousElementSibling;
  btn.disabled = true;
  guard(mark(s.token, id, 'dismissed'), () => {
    removeItem(id);
    (next?.querySelector('button.dismiss') || ui.close).focus();
  }).finally(() => { btn.disabled = false; });
});

// ---- toasts ----

function showToast(it) {
  removeToast(it.id);
  const t = toast(it);
  ui.toasts.prepend(t);
  t.querySelector('button.close').addEventListener('click', () => removeToast(it.id));
  // pause while the pointer or the focus is on it
  const arm = () => { clearTimeout(s.toastTimers.get(it.id)); s.toastTimers.set(it.id, setTimeout(() => removeToast(it.id), TOAST_MS)); };
  const hold = () => clearTimeout(s.toastTimers.get(it.id));
  t.addEventListener('mouseenter', hold);
  t.addEventListener('mouseleave', arm);
  t.addEventListener('focusin', hold);
  t.addEventListener('focusout', arm);
  arm();
}

function removeToast(id) {
  if (!s) return;
  clearTimeout(s.toastTimers.get(id));
  s.toastTimers.delete(id);
  ui.toasts.querySelector(`.toast[data-id="${CSS.escape(id)}"]`)?.remove();
}

// ---- popups: one at a time, each stays until its OK ----

function enqueuePopup(id) {
  if (s.popups.includes(id)) return;
  s.popups.push(id);
  if (s.popups.length === 1) showPopup();
}

function showPopup() {
  const id = s?.popups[0];
  if (!id) { if (ui.popup.open) ui.popup.close(); return; }
  const it = s.items.get(id);
  if (!it) { s.popups.shift(); showPopup(); return; }
  ui.popup.dataset.id = id;
  ui.popup.querySelector('.title').textContent = it.title ?? '';
  const desc = ui.popup.querySelector('.description');
  desc.textContent = it.description ?? '';
  desc.hidden = !it.description;
  const slot = $('popup-link');
  slot.replaceChildren();
  const link = actionLink(it);
  if (link) slot.append(link);
  if (!ui.popup.open) ui.popup.showModal();
  ui.popup.querySelector('button.acknowledge').focus();
}

function dropPopup(id) {
  const at = s.popups.indexOf(id);
  if (at < 0) return;
  s.popups.splice(at, 1);
  if (at === 0) showPopup();
}

ui.popup.querySelector('button.acknowledge').addEventListener('click', () => {
  const id = s?.popups[0];
  if (!id) { ui.popup.close(); return; }
  s.popups.shift();
  markSeen(id);
  showPopup();
});
// Escape must not dismiss it: refuse the cancel, and should the browser close it anyway, reopen
ui.popup.addEventListener('cancel', (e) => e.preventDefault());
// a click on the backdrop or the dialog's padding keeps the focus on OK
ui.popup.addEventListener('click', (e) => {
  if (e.target === ui.popup) ui.popup.querySelector('button.acknowledge').focus();
});
ui.popup.addEventListener('close', () => { if (s?.popups.length) showPopup(); });

// ---- desktop alerts ----

const canAlert = () => 'Notification' in window;

function updateAlertsButton() {
  ui.alerts.hidden = !canAlert() || Notification.permission !== 'default';
}

ui.alerts.addEventListener('click', async () => {
  if (!canAlert()) return;
  try { await Notification.requestPermission(); } catch { /* the user said no */ }
  updateAlertsButton();
});

function systemAlert(it) {
  if (!canAlert() || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(it.title ?? '', { body: it.description ?? '', tag: it.id });
    n.onclick = () => { window.focus(); setPanel(true); n.close(); };
    n.onclose = () => s?.systemAlerts.delete(it.id);
    s.systemAlerts.set(it.id, n);
  } catch { /* some platforms allow them only from a service worker */ }
}

// ---- live ----

function setStatus(text, isError = false) {
  ui.status.textContent = text;
  ui.status.hidden = !text;
  ui.status.classList.toggle('error', isError);
}

function markReady() {
  if (s?.listed && s.live) document.body.dataset.live = 'true';
}

function connect() {
  const mine = s;
  let url = streamUrl(s.token);
  if (s.lastEventId) url += `&lastEventId=${encodeURIComponent(s.lastEventId)}`;
  const es = new EventSource(url);
  s.es = es;
  let wasDown = false;
  es.onopen = () => {
    if (s !== mine) return;
    s.live = true;
    setStatus('');
    markReady();
    if (wasDown && Date.now() - s.lastRefresh > 1000) load(); // read state may have moved on
    wasDown = false;
  };
  es.onerror = () => {
    if (s !== mine) return;
    s.live = false;
    wasDown = true;
    document.body.removeAttribute('data-live');
    setStatus('reconnecting…');
    if (es.readyState === EventSource.CLOSED) {
      // the browser gave up (an HTTP error): find out why, then retry ourselves
      fetchList(s.token).catch((err) => err).then((err) => {
        if (s !== mine) return;
        if (err instanceof Unauthorized) signOut(REFUSED);
        else s.retryTimer = setTimeout(() => { if (s === mine) connect(); }, 3000);
      });
    }
  };
  es.addEventListener('notification', (e) => {
    if (s !== mine) return;
    if (e.lastEventId) s.lastEventId = e.lastEventId;
    let it;
    try { it = JSON.parse(e.data); } catch { return; }
    if (!it?.id) return;
    const known = s.items.get(it.id);
    if (known) {
      const wasUnread = isUnread(known);
      Object.assign(known, it, { seenAt: known.seenAt || it.seenAt });
      if (wasUnread && !isUnread(known)) s.unread--;
      const li = itemEl(it.id);
      if (li) updateItem(li, known);
      renderMeta();
      return;
    }
    addItem(it);
    s.arriving?.set(it.id, it);
    if (it.type === 'popup') {
      if (isUnread(it)) enqueuePopup(it.id);
    } else {
      showToast(it);
      systemAlert(it);
    }
  });
  es.addEventListener('retract', (e) => {
    if (s !== mine) return;
    if (e.lastEventId) s.lastEventId = e.lastEventId;
    try { removeItem(JSON.parse(e.data).id); } catch { /* malformed: ignore */ }
  });
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && s?.listed && Date.now() - s.lastRefresh > 60000) load();
});

start();
