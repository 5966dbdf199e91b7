// dom.js: small DOM helpers. Everything that comes from the API is put in the page as text
// (text nodes, textContent, attributes), never as HTML.

/** h('tag', {class, text, onclick, dataset, ...attributes}, ...children) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let uid = 0;
/** A unique element id with a prefix. */
export const nextId = (p = 'f') => `${p}-${++uid}`;

/** A labelled form field: returns {wrap, input, error}. */
export function field(label, input, { hint, field: name } = {}) {
  if (!input.id) input.id = nextId('in');
  const error = h('p', { class: 'field-error', id: `${input.id}-err`, role: 'alert' });
  const hintEl = hint ? h('p', { class: 'hint', id: `${input.id}-hint`, text: hint }) : null;
  input.setAttribute('aria-describedby', [hintEl?.id, error.id].filter(Boolean).join(' '));
  const wrap = h('div', { class: 'field', dataset: name ? { field: name } : undefined },
    h('label', { for: input.id, text: label }), input, hintEl, error);
  return { wrap, input, error };
}

/** A table whose rows turn into cards on narrow screens (each td carries its column label). */
export function table(columns, caption) {
  const tbody = h('tbody');
  const el = h('table', { class: 'grid' },
    caption ? h('caption', { class: 'visually-hidden', text: caption }) : null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', text: c })))),
    tbody);
  return { el, tbody, columns };
}

/** A table cell; its content sits in one div (the value column of the card layout). */
export function cell(label, ...children) {
  return h('td', { 'data-label': label }, h('div', { class: 'cv' }, ...children));
}

/** "2026-05-01T10:00:00Z" in the browser's zone, short. */
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleString(undefined, {
    year: sameYear ? undefined : 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

export function timeEl(iso) {
  return iso ? h('time', { datetime: iso, title: iso, text: fmtTime(iso) }) : '—';
}

/** Copies text to the clipboard, reporting on the button. */
export async function copyText(text, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed: select and copy';
  }
  setTimeout(() => { button.textContent = label; }, 1500);
}

export function debounce(fn, ms) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

/** A modal confirmation; resolves true when the user confirms. */
export function confirmDialog(text, { title = 'Are you sure?', ok = 'OK' } = {}) {
  const dlg = $('#confirm');
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = ok;
  dlg.returnValue = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
    dlg.showModal();
    $('#confirm-cancel').focus();
  });
}

let toastTimer;
/** A short message in the corner (role=status). */
export function toast(text, kind = 'ok') {
  const t = $('#toast');
  t.textContent = text;
  t.className = `toast show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.className = 'toast'; }, 4000);
}

/** A status line for a section: set(text, kind) where kind is ok|error|'' */
export function statusLine() {
  const el = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  el.set = (text, kind = '') => { el.textContent = text || ''; el.className = `status ${kind}`; };
  return el;
}
