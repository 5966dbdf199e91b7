// end-users.js: search the selected system's end users and import them from a CSV file.
import { h, clear, field, table, cell, timeEl, statusLine, confirmDialog, debounce } from './dom.js';
import { api, enc } from './api.js';

let root, ctx, listWrap, status, search, more, cursor = null, importOut;

/** RFC 4180 CSV: quoted fields, "" escapes, CRLF or LF. Returns rows of strings. */
export function parseCsv(text) {
  const rows = [];
  let row = [], f = '', q = false, i = 0;
  const s = String(text).replace(/^\uFEFF/, '');
  while (i < s.length) {
    const c = s[i];
    if (q) {
      if (c === '"') { if (s[i + 1] === '"') { f += '"'; i += 2; continue; } q = false; i++; continue; }
      f += c; i++; continue;
    }
    if (c === '"' && f === '') { q = true; i++; continue; }
    if (c === ',') { row.push(f); f = ''; i++; continue; }
    if (c === '\r' || c === '\n') {
      row.push(f); f = '';
      if (row.some((x) => x !== '')) rows.push(row);
      row = [];
      i += (c === '\r' && s[i + 1] === '\n') ? 2 : 1;
      continue;
    }
    f += c; i++;
  }
  row.push(f);
  if (row.some((x) => x !== '')) rows.push(row);
  return rows;
}

/** CSV rows (header first: id,name,email,… other columns become attributes) to bulk items. */
export function csvToEndUsers(rows) {
  if (!rows.length) throw new Error('The file is empty.');
  const head = rows[0].map((x) => x.trim());
  const lower = head.map((x) => x.toLowerCase());
  const idCol = lower.indexOf('id');
  if (idCol < 0) throw new Error('The first line must name the columns, with an "id" column (then name, email and any attributes).');
  const nameCol = lower.indexOf('name');
  const emailCol = lower.indexOf('email');
  return rows.slice(1).map((r) => {
    const u = { id: (r[idCol] || '').trim() };
    if (nameCol >= 0 && r[nameCol]) u.name = r[nameCol];
    if (emailCol >= 0 && r[emailCol]) u.email = r[emailCol].trim();
    const attrs = {};
    head.forEach((k, j) => { if (j !== idCol && j !== nameCol && j !== emailCol && k && r[j] !== undefined && r[j] !== '') attrs[k] = r[j]; });
    if (Object.keys(attrs).length) u.attributes = attrs;
    return u;
  });
}

async function load(append = false) {
  if (!append) { clear(listWrap); cursor = null; }
  if (!ctx.systemId) { listWrap.append(ctx.needSystem()); more.hidden = true; return; }
  const q = search.input.value.trim();
  let page;
  try {
    page = await api('GET', `/v1/systems/${enc(ctx.systemId)}/end-users?limit=50${q ? `&search=${enc(q)}` : ''}${append && cursor ? `&cursor=${enc(cursor)}` : ''}`);
  } catch (e) { status.set(e.message, 'error'); return; }
  status.set('');
  cursor = page.nextCursor;
  more.hidden = !cursor;
  let t = listWrap.querySelector('table');
  if (!t) {
    if (!page.items.length) { listWrap.append(h('p', { class: 'empty', text: q ? `No end user matches "${q}".` : 'No end user yet: import a CSV file.' })); return; }
    const tb = table(['Id', 'Name', 'Email', 'Attributes', 'Updated', 'Actions'], 'End users');
    listWrap.append(tb.el);
    t = tb.el;
  }
  const tbody = t.querySelector('tbody');
  for (const u of page.items) {
    const attrs = Object.entries(u.attributes || {});
    tbody.append(h('tr', { dataset: { id: u.id } },
      cell('Id', h('code', { text: u.id })),
      cell('Name', u.name || '—'),
      cell('Email', u.email || '—'),
      cell('Attributes', attrs.length ? h('ul', { class: 'attrs' }, attrs.map(([k, v]) => h('li', null, h('span', { class: 'k', text: k }), ' ', h('span', { text: typeof v === 'string' ? v : JSON.stringify(v) })))) : '—'),
      cell('Updated', timeEl(u.updatedAt)),
      cell('Actions', h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', text: 'Delete', 'aria-label': `Delete end user ${u.id}`, onclick: () => remove(u) })))));
  }
}

async function remove(u) {
  if (!await confirmDialog(`Erase everything kept about "${u.id}" in this system (record, read state, memberships)?`, { title: 'Delete end user', ok: 'Delete' })) return;
  try {
    await api('DELETE', `/v1/systems/${enc(ctx.systemId)}/end-users/${enc(u.id)}`);
    status.set(`End user "${u.id}" deleted.`, 'ok');
    load();
  } catch (e) { status.set(e.message, 'error'); }
}

async function importFile(file, button) {
  clear(importOut);
  if (!ctx.systemId) { importOut.append(h('p', { class: 'error', text: 'Select a system first.' })); return; }
  let users;
  try {
    users = csvToEndUsers(parseCsv(await file.text()));
  } catch (e) { importOut.append(h('p', { class: 'error', role: 'alert', text: e.message })); return; }
  if (!users.length) { importOut.append(h('p', { class: 'error', text: 'The file has a header line but no end users.' })); return; }
  button.disabled = true;
  const total = { created: 0, updated: 0, errors: [] };
  const progress = h('p', { class: 'hint', text: `Importing ${users.length} end users…` });
  importOut.append(progress);
  try {
    for (let i = 0; i < users.length; i += 10000) {
      const chunk = users.slice(i, i + 10000);
      const r = await api('POST', `/v1/systems/${enc(ctx.systemId)}/end-users`, { endUsers: chunk });
      total.created += r.created;
      total.updated += r.updated;
      for (const e of r.errors) total.errors.push({ ...e, index: e.index + i });
    }
  } catch (e) {
    importOut.append(h('p', { class: 'error', role: 'alert', text: [e.message, ...e.details.slice(0, 20).map((d) => `${d.field}: ${d.message}`)].join(' ') }));
    button.disabled = false;
    return;
  }
  button.disabled = false;
  progress.remove();
  importOut.append(h('p', { class: 'import-result ok', role: 'status' },
    h('strong', { dataset: { created: '' }, text: `${total.created} created` }), ', ',
    h('strong', { dataset: { updated: '' }, text: `${total.updated} updated` }), ', ',
    h('strong', { dataset: { errors: '' }, text: `${total.errors.length} error${total.errors.length === 1 ? '' : 's'}` }), '.'));
  if (total.errors.length) {
    importOut.append(h('ul', { class: 'errors' }, total.errors.slice(0, 100).map((e) =>
      h('li', null, `Line ${e.index + 2}${e.id ? ` (${e.id})` : ''}: ${e.message}`))));
  }
  load();
}

export default {
  init(el, c) {
    root = el; ctx = c;
    status = statusLine();
    listWrap = h('div', { class: 'list' });
    search = field('Search', h('input', { type: 'search', name: 'search', autocomplete: 'off', placeholder: 'id, name or email contains…' }));
    search.input.addEventListener('input', debounce(() => load(), 250));
    const searchForm = h('form', { class: 'row search', role: 'search', novalidate: true }, search.wrap, h('button', { type: 'submit', class: 'secondary', text: 'Search' }));
    searchForm.addEventListener('submit', (e) => { e.preventDefault(); load(); });
    more = h('button', { type: 'button', class: 'secondary', hidden: true, text: 'Load more', onclick: () => load(true) });

    const file = field('CSV file', h('input', { type: 'file', accept: '.csv,text/csv', name: 'csv' }),
      { hint: 'First line: id,name,email and any other columns, which become attributes (for audience rules).' });
    const go = h('button', { type: 'submit', text: 'Import' });
    importOut = h('div', { class: 'import-out', 'aria-live': 'polite' });
    const importForm = h('form', { class: 'card inline-form', novalidate: true }, h('h3', { text: 'Import from CSV' }), file.wrap, h('div', { class: 'row' }, go), importOut);
    importForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = file.input.files[0];
      if (!f) { file.error.textContent = 'Choose a .csv file first.'; return; }
      file.error.textContent = '';
      importFile(f, go);
    });
    root.append(
      h('h2', { id: 'h-end-users', tabindex: '-1', text: 'End users' }),
      h('p', { class: 'muted', text: 'The people notifications target, identified by your own id (often an email).' }),
      importForm, searchForm, status, listWrap, more);
    ctx.onSystem(() => { clear(importOut); if (!root.hidden) load(); });
  },
  show() { load(); },
};
