// audiences.js: the selected system's audiences: list with size, create with a member list or
// with rules (attribute / operator / value rows, all or any) and a live count and sample.
import { h, clear, field, table, cell, timeEl, statusLine, confirmDialog, toast, debounce, nextId } from './dom.js';
import { api, enc, listAll } from './api.js';

let root, ctx, listWrap, status, editorWrap;

async function load() {
  clear(listWrap);
  if (!ctx.systemId) { listWrap.append(ctx.needSystem()); return; }
  let items;
  try { items = await listAll(`/v1/systems/${enc(ctx.systemId)}/audiences`); } catch (e) { status.set(e.message, 'error'); return; }
  if (!items.length) { listWrap.append(h('p', { class: 'empty', text: 'No audience yet in this system.' })); return; }
  const t = table(['Name', 'Size', 'Kind', 'Created', 'Actions'], 'Audiences');
  for (const a of items) {
    t.tbody.append(h('tr', { dataset: { id: a.id } },
      cell('Name', h('strong', { text: a.name })),
      cell('Size', h('span', { class: 'num', dataset: { size: '' }, text: String(a.size) })),
      cell('Kind', a.rules ? h('span', { title: describeRules(a.rules), text: `rules: ${describeRules(a.rules)}` }) : 'member list'),
      cell('Created', timeEl(a.createdAt)),
      cell('Actions', h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'danger', text: 'Delete', 'aria-label': `Delete audience ${a.name}`, onclick: () => remove(a) })))));
  }
  listWrap.append(t.el);
}

function describeRules(r) {
  const key = r.all ? 'all' : 'any';
  const parts = (r[key] || []).map((c) => (c.attribute ? `${c.attribute} ${c.operator} "${c.value}"` : `(${describeRules(c)})`));
  return parts.join(key === 'all' ? ' and ' : ' or ');
}

async function remove(a) {
  if (!await confirmDialog(`Delete the audience "${a.name}"? What was already sent to it stays in its members' lists.`, { title: 'Delete audience', ok: 'Delete' })) return;
  try {
    await api('DELETE', `/v1/systems/${enc(ctx.systemId)}/audiences/${enc(a.id)}`);
    status.set(`Audience "${a.name}" deleted.`, 'ok');
    load();
  } catch (e) { status.set(e.message, 'error'); }
}

export function parseIds(text) {
  const out = [];
  for (const line of String(text).split(/[\r\n]+/)) {
    const v = line.trim();
    if (v && !out.includes(v)) out.push(v);
  }
  return out;
}

function openEditor() {
  clear(editorWrap);
  editorWrap.hidden = false;
  const name = field('Name', h('input', { name: 'name', maxlength: 200, autocomplete: 'off' }), { field: 'name' });
  const modeName = nextId('mode');
  const modeMembers = h('input', { type: 'radio', name: modeName, value: 'members', checked: true });
  const modeRules = h('input', { type: 'radio', name: modeName, value: 'rules' });
  const mode = h('fieldset', { class: 'choice' }, h('legend', { text: 'Members' }),
    h('label', { class: 'check' }, modeMembers, ' A list of end-user ids'),
    h('label', { class: 'check' }, modeRules, ' Rules on end-user attributes'));

  const members = field('End-user ids, one per line', h('textarea', { name: 'endUsersIds', rows: 5, spellcheck: 'false' }), { field: 'endUsersIds', hint: 'Paste ids (often emails); duplicates are folded. Unknown ids are accepted.' });
  const memberCount = h('p', { class: 'hint', 'aria-live': 'polite' });
  const membersPane = h('div', null, members.wrap, memberCount);

  const combinator = h('select', { 'aria-label': 'Combine conditions' },
    h('option', { value: 'all', text: 'all of' }), h('option', { value: 'any', text: 'any of' }));
  const rows = h('div', { class: 'rule-rows' });
  const rulesError = h('p', { class: 'field-error', role: 'alert' });
  const previewOut = h('div', { class: 'rule-preview', 'aria-live': 'polite' });
  const rulesPane = h('div', { hidden: true },
    h('p', { class: 'row rules-lead' }, 'Members are the end users matching ', combinator, ' these conditions:'),
    rows,
    h('button', { type: 'button', class: 'secondary', text: 'Add condition', onclick: () => { addRow(); rows.lastElementChild.querySelector('input').focus(); } }),
    rulesError, previewOut);

  const collectRules = () => {
    const conds = [];
    for (const r of rows.children) {
      const [attr, op, val] = [r.querySelector('.r-attr').value.trim(), r.querySelector('.r-op').value, r.querySelector('.r-val').value];
      if (attr) conds.push({ attribute: attr, operator: op, value: val });
    }
    return conds.length ? { [combinator.value]: conds } : null;
  };
  let seq = 0;
  const runPreview = debounce(async () => {
    const rules = collectRules();
    const mine = ++seq;
    rulesError.textContent = '';
    if (!rules) { previewOut.replaceChildren(h('p', { class: 'hint', text: 'Add a condition with an attribute to see who matches.' })); return; }
    try {
      const p = await api('POST', `/v1/systems/${enc(ctx.systemId)}/audiences/preview`, { rules });
      if (mine !== seq) return;
      previewOut.replaceChildren(
        h('p', null, h('strong', { class: 'match-count', text: String(p.count) }), p.count === 1 ? ' end user matches now' : ' end users match now'),
        p.sample.length ? h('ul', { class: 'sample' }, p.sample.map((u) => h('li', null, h('code', { text: u.id }), u.name ? ` ${u.name}` : ''))) : null);
    } catch (e) {
      if (mine !== seq) return;
      rulesError.textContent = [e.message, ...e.details.map((d) => `${d.field}: ${d.message}`)].join(' ');
      previewOut.replaceChildren();
    }
  }, 250);
  function addRow(c = {}) {
    const attr = h('input', { class: 'r-attr', 'aria-label': 'Attribute', placeholder: 'attribute, e.g. department', value: c.attribute || '', autocomplete: 'off' });
    const op = h('select', { class: 'r-op', 'aria-label': 'Operator' },
      ['is', 'is not', 'like'].map((o) => h('option', { value: o, text: o })));
    const val = h('input', { class: 'r-val', 'aria-label': 'Value', placeholder: 'value (like: % and _)', value: c.value || '', autocomplete: 'off' });
    const row = h('div', { class: 'rule-row' }, attr, op, val,
      h('button', { type: 'button', class: 'icon secondary', 'aria-label': 'Remove condition', title: 'Remove condition', text: '✕',
        onclick: () => { row.remove(); if (!rows.children.length) addRow(); runPreview(); } }));
    for (const x of [attr, val]) x.addEventListener('input', runPreview);
    op.addEventListener('change', runPreview);
    rows.append(row);
  }
  addRow();
  combinator.addEventListener('change', runPreview);
  members.input.addEventListener('input', () => {
    const n = parseIds(members.input.value).length;
    memberCount.textContent = `${n} distinct id${n === 1 ? '' : 's'}`;
  });
  const switchMode = () => {
    membersPane.hidden = !modeMembers.checked;
    rulesPane.hidden = !modeRules.checked;
    if (modeRules.checked) runPreview();
  };
  modeMembers.addEventListener('change', switchMode);
  modeRules.addEventListener('change', switchMode);

  const formStatus = statusLine();
  const form = h('form', { class: 'card editor', novalidate: true },
    h('h3', { text: 'New audience' }), name.wrap, mode, membersPane, rulesPane, formStatus,
    h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Create audience' }),
      h('button', { type: 'button', class: 'secondary', text: 'Close', onclick: () => { editorWrap.hidden = true; clear(editorWrap); } })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    name.error.textContent = ''; members.error.textContent = ''; rulesError.textContent = '';
    const body = { name: name.input.value.trim() };
    if (!body.name) { name.error.textContent = 'Give the audience a name.'; name.input.focus(); return; }
    if (modeRules.checked) {
      const rules = collectRules();
      if (!rules) { rulesError.textContent = 'Add at least one condition with an attribute.'; return; }
      body.rules = rules;
    } else {
      body.endUsersIds = parseIds(members.input.value);
    }
    try {
      const a = await api('POST', `/v1/systems/${enc(ctx.systemId)}/audiences`, body);
      toast('Audience created');
      status.set(`Audience "${a.name}" created with ${a.size} member${a.size === 1 ? '' : 's'}.`, 'ok');
      editorWrap.hidden = true; clear(editorWrap);
      load();
    } catch (e) {
      const rest = [];
      for (const d of e.details) {
        if (d.field === 'name') name.error.textContent = d.message;
        else if (d.field.startsWith('endUsersIds')) members.error.textContent = `${d.field}: ${d.message}`;
        else if (d.field.startsWith('rules')) rulesError.textContent = `${d.field}: ${d.message}`;
        else rest.push(`${d.field}: ${d.message}`);
      }
      formStatus.set([e.message, ...rest].join(' '), 'error');
    }
  });
  editorWrap.append(form);
  name.input.focus();
}

export default {
  init(el, c) {
    root = el; ctx = c;
    status = statusLine();
    listWrap = h('div', { class: 'list' });
    editorWrap = h('div', { hidden: true });
    root.append(
      h('h2', { id: 'h-audiences', tabindex: '-1', text: 'Audiences' }),
      h('p', { class: 'muted', text: 'Named groups of end users: an explicit list, or rules on their attributes.' }),
      h('div', { class: 'row toolbar' }, h('button', { type: 'button', text: 'New audience', onclick: () => { if (ctx.systemId) openEditor(); } })),
      editorWrap, status, listWrap);
    ctx.onSystem(() => { editorWrap.hidden = true; clear(editorWrap); if (!root.hidden) load(); });
  },
  show() { load(); },
};
