// app.js: the Communication Center. Sign-in, the section navigation, the selected system, and
// the sections (each in its own module).
import { $, $$, h, clear, toast } from './dom.js';
import { session, signIn, api, listAll } from './api.js';
import systems from './systems.js';
import templates from './templates.js';
import audiences from './audiences.js';
import endUsers from './end-users.js';
import apiKeys from './api-keys.js';
import send from './send.js';
import notifications from './notifications.js';

const SECTIONS = {
  systems, templates, audiences, 'end-users': endUsers, 'api-keys': apiKeys, send, notifications,
};
const SYSTEM_KEY = 'herald.console.system';

const listeners = new Set();
const ctx = {
  systems: [],
  systemId: sessionStorage.getItem(SYSTEM_KEY) || '',
  current: null,
  get system() { return this.systems.find((s) => s.id === this.systemId) || null; },
  /** Calls fn(systemId) whenever the selected system changes. */
  onSystem(fn) { listeners.add(fn); },
  selectSystem(id) {
    if (id === this.systemId) return;
    this.systemId = id || '';
    sessionStorage.setItem(SYSTEM_KEY, this.systemId);
    $('#system-select').value = this.systemId;
    for (const fn of listeners) fn(this.systemId);
  },
  async refreshSystems() {
    this.systems = await listAll('/v1/systems');
    renderSystemSelect();
    if (!this.systems.some((s) => s.id === this.systemId))
      this.selectSystem(this.systems[0]?.id || '');
    for (const fn of listeners) fn(this.systemId, true);
    return this.systems;
  },
  go(name) { show(name); },
  /** A placeholder to show in a section when no system exists yet. */
  needSystem() {
    return h('div', { class: 'empty card' },
      h('p', { text: 'Create a system first: templates, audiences and end users belong to one.' }),
      h('button', { type: 'button', onclick: () => show('systems'), text: 'Go to Systems' }));
  },
};

function renderSystemSelect() {
  const sel = clear($('#system-select'));
  if (!ctx.systems.length) sel.append(h('option', { value: '', text: 'No system yet' }));
  for (const s of ctx.systems) sel.append(h('option', { value: s.id, text: s.name }));
  sel.value = ctx.systemId;
}

const inited = new Set();
function show(name, { focus = false } = {}) {
  if (!SECTIONS[name]) name = 'systems';
  if (ctx.current && ctx.current !== name) SECTIONS[ctx.current].hide?.();
  ctx.current = name;
  for (const b of $$('#nav button')) {
    const on = b.dataset.section === name;
    if (on) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
  }
  for (const s of $$('#main > section')) s.hidden = s.dataset.section !== name;
  const el = $(`#sec-${name}`);
  if (!inited.has(name)) { inited.add(name); SECTIONS[name].init(el, ctx); }
  SECTIONS[name].show?.();
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  if (focus) el.querySelector('h2')?.focus();
}

function signedOut(message) {
  if (ctx.current) SECTIONS[ctx.current].hide?.();
  ctx.current = null;
  $('#app').hidden = true;
  $('#session').hidden = true;
  $('#signin').hidden = false;
  $('#signin-error').textContent = message || '';
  $('#client-secret').value = '';
  $('#client-id').focus();
}

async function signedIn() {
  const s = session.get();
  $('#signin').hidden = true;
  $('#app').hidden = false;
  $('#session').hidden = false;
  $('#who').textContent = s.clientId;
  $('#who').title = `Scopes: ${s.scope}`;
  try {
    await ctx.refreshSystems();
  } catch (e) {
    if (e.status !== 401) toast(`Systems could not be loaded: ${e.message}`, 'error');
    if (!session.get()) return;
  }
  const want = location.hash.slice(1);
  show(SECTIONS[want] ? want : (ctx.systems.length ? 'notifications' : 'systems'));
}

function start() {
  session.onExpired(() => signedOut('Your session ended; sign in again.'));
  $('#signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = $('#client-id').value.trim();
    const secret = $('#client-secret').value;
    const err = $('#signin-error');
    err.textContent = '';
    if (!id || !secret) { err.textContent = 'Enter the client ID and the client secret of an API key.'; return; }
    const btn = $('#signin-submit');
    btn.disabled = true;
    try {
      await signIn(id, secret);
      $('#client-secret').value = '';
      await signedIn();
    } catch (e) {
      err.textContent = e.message;
    } finally {
      btn.disabled = false;
    }
  });
  $('#sign-out').addEventListener('click', () => { session.clear(); signedOut('Signed out.'); });
  $('#system-select').addEventListener('change', (e) => ctx.selectSystem(e.target.value));

  const nav = $('#nav');
  nav.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-section]');
    if (b) show(b.dataset.section, { focus: true });
  });
  // Arrow keys move between the section buttons; Home/End jump to the ends.
  nav.addEventListener('keydown', (e) => {
    const buttons = $$('#nav button');
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (e.key === 'ArrowDown' || e.key === 'ArrowRight') j = (i + 1) % buttons.length;
    else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') j = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = buttons.length - 1;
    if (j !== null) { e.preventDefault(); buttons[j].focus(); }
  });
  window.addEventListener('hashchange', () => {
    const want = location.hash.slice(1);
    if (session.get() && SECTIONS[want] && want !== ctx.current) show(want);
  });
  if (session.get()) signedIn(); else signedOut('');
}

start();
