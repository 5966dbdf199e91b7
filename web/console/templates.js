// templates.js: the selected system's templates: list, create/edit with a live preview of the
// placeholders, duplicate, archive. A locked template (used by a notification) offers
// duplicate instead of edit.
import { h, clear, field, table, cell, timeEl, statusLine, confirmDialog, toast } from './dom.js';
import { api, enc, listAll } from './api.js';

export const PLACEHOLDER = /###([A-Za-z0-9_.-]{1,64})###/g;

/** The placeholder names in the texts, in order of first appearance. */
export function placeholdersOf(...texts) {
  const seen = [];
  for (const t of texts) for (const m of String(t || '').matchAll(PLACEHOLDER))
    if (!seen.includes(m[1])) seen.push(m[1]);
  return seen;
}

/** Text with placeholders filled, as DOM nodes (text + <mark>); nothing is parsed as HTML. */
export function renderFilled(text, values) {
  const out = [];
  let last = 0;
  const s = String(text || '');
  for (const m of s.matchAll(PLACEHOLDER)) {
    if (m.index > last) out.push(document.createTextNode(s.slice(last, m.index)));
    const v = values[m[1]];
    out.push(v ? h('mark', { class: 'filled', title: `###${m[1]}###`, text: v })
      : h('mark', { class: 'missing', title: 'no sample value yet', text: m[0] }));
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(document.createTextNode(s.slice(last)));
  return out;
}

/** Fills placeholders as plain text. */
export function fillText(text, values) {
  return String(text || '').replace(PLACEHOLDER, (all, k) => (values[k] ? values[k] : all));
}

let root, ctx, listWrap, status, editorWrap, showArchived, items = [];

async function load() {
  clear(listWrap);
  if (!ctx.systemId) { listWrap.append(ctx.needSystem()); return; }
  try {
    items = await listAll(`/v1/systems/${enc(ctx.systemId)}/templates${showArchived.checked ? '?archived=true' : ''}`);
  } catch (e) { status.set(e.message, 'error'); return; }
  render();
}

function render() {
  clear(listWrap);
  if (!items.length) { listWrap.append(h('p', { class: 'empty', text: 'No template yet in this system.' })); return; }
  const t = table(['Name', 'Title', 'Type', 'Placeholders', 'State', 'Actions'], 'Templates');
  for (const tp of items) {
    const state = tp.archived ? 'archived' : tp.locked ? 'locked' : 'editable';
    const actions = h('div', { class: 'actions' });
    if (!tp.locked && !tp.archived)
      actions.append(h('button', { type: 'button', class: 'secondary', text: 'Edit', 'aria-label': `Edit template ${tp.name}`, onclick: () => openEditor(tp) }));
    actions.append(h('button', { type: 'button', class: 'secondary', text: 'Duplicate', 'aria-label': `Duplicate template ${tp.name}`, onclick: () => duplicate(tp) }));
    if (!tp.archived)
      actions.append(h('button', { type: 'button', class: 'danger', text: 'Archive', 'aria-label': `Archive template ${tp.name}`, onclick: () => archive(tp) }));
    t.tbody.append(h('tr', { dataset: { id: tp.id } },
      cell('Name', h('strong', { text: tp.name })),
      cell('Title', tp.title),
      cell('Type', tp.notificationType),
      cell('Placeholders', tp.placeholders.length ? tp.placeholders.map((p) => h('code', { class: 'ph', text: p })) : '—'),
      cell('State', h('span', { class: `badge ${state}`, text: state,
        title: state === 'locked' ? 'Used by a notification: duplicate it to change it' : undefined })),
      cell('Actions', actions)));
  }
  listWrap.append(t.el);
}

async function duplicate(tp) {
  try {
    const copy = await api('POST', `/v1/systems/${enc(ctx.systemId)}/templates/${enc(tp.id)}/duplicate`, {});
    toast(`Duplicated as "${copy.name}"`);
    await load();
    openEditor(copy);
  } catch (e) { status.set(e.message, 'error'); }
}

async function archive(tp) {
  if (!await confirmDialog(`Archive the template "${tp.name}"? No notification can use it afterwards.`, { title: 'Archive template', ok: 'Archive' })) return;
  try {
    await api('DELETE', `/v1/systems/${enc(ctx.systemId)}/templates/${enc(tp.id)}`);
    status.set(`Template "${tp.name}" archived.`, 'ok');
    await load();
  } catch (e) { status.set(e.message, 'error'); }
}

function openEditor(tp) {
  clear(editorWrap);
  editorWrap.hidden = false;
  const editing = tp && tp.id;
  const f = {
    name: field('Name', h('input', { name: 'name', maxlength: 200, autocomplete: 'off', value: tp?.name || '' }), { field: 'name', hint: 'Shown in the console only.' }),
    title: field('Title', h('input', { name: 'title', maxlength: 500, autocomplete: 'off', value: tp?.title || '' }), { field: 'title', hint: 'Use ###NAME### for a value filled when sending.' }),
    description: field('Description', h('textarea', { name: 'description', rows: 3, maxlength: 4000, value: tp?.description || '' }), { field: 'description' }),
    buttonText: field('Button text', h('input', { name: 'buttonText', maxlength: 100, autocomplete: 'off', value: tp?.button?.text || '' }), { field: 'button.text', hint: 'Leave both button fields empty for no button.' }),
    buttonUrl: field('Button link', h('input', { name: 'buttonUrl', maxlength: 2000, autocomplete: 'off', inputmode: 'url', value: tp?.button?.url || '', placeholder: 'https://… or ###URL###' }), { field: 'button.url' }),
    type: field('Default type', h('select', { name: 'notificationType' },
      h('option', { value: 'push', text: 'push (toast and list)' }), h('option', { value: 'popup', text: 'popup (must be acknowledged)' })), { field: 'notificationType' }),
  };
  f.type.input.value = tp?.notificationType || 'push';
  const samples = {};
  const sampleWrap = h('fieldset', { class: 'samples' }, h('legend', { text: 'Sample values' }));
  const sampleList = h('div', { class: 'sample-list' });
  sampleWrap.append(sampleList);
  const preview = h('div', { class: 'preview-card', 'aria-live': 'polite', id: 'template-preview' });
  const formStatus = statusLine();

  const update = () => {
    const names = placeholdersOf(f.title.input.value, f.description.input.value, f.buttonText.input.value, f.buttonUrl.input.value);
    // one sample input per placeholder, kept while the name stays
    for (const inp of [...sampleList.querySelectorAll('input')])
      if (!names.includes(inp.dataset.ph)) inp.closest('.field').remove();
    for (const n of names) {
      if (sampleList.querySelector(`input[data-ph="${CSS.escape(n)}"]`)) continue;
      const inp = h('input', { autocomplete: 'off', dataset: { ph: n }, value: samples[n] || '' });
      inp.addEventListener('input', () => { samples[n] = inp.value; update(); });
      sampleList.append(field(`Sample ${n}`, inp).wrap);
    }
    if (!names.length) sampleList.replaceChildren(h('p', { class: 'hint', text: 'No placeholder yet: write ###NAME### in a text to add one.' }));
    else sampleList.querySelector('p.hint')?.remove();
    const vals = Object.fromEntries(names.map((n) => [n, samples[n] || '']));
    clear(preview);
    preview.append(
      h('span', { class: `type-tag ${f.type.input.value}`, text: f.type.input.value }),
      h('p', { class: 'p-title' }, renderFilled(f.title.input.value || 'Title', vals)),
      h('p', { class: 'p-desc' }, renderFilled(f.description.input.value, vals)));
    if (f.buttonText.input.value || f.buttonUrl.input.value) {
      const url = fillText(f.buttonUrl.input.value, vals);
      preview.append(h('div', { class: 'p-button-row' },
        h('span', { class: 'p-button', role: 'presentation' }, renderFilled(f.buttonText.input.value || 'Button', vals)),
        h('span', { class: 'p-url', title: 'The button opens this link', text: url })));
    }
  };
  for (const k of Object.keys(f)) f[k].input.addEventListener('input', update);
  f.type.input.addEventListener('change', update);

  const form = h('form', { class: 'card editor', novalidate: true },
    h('h3', { text: editing ? `Edit template "${tp.name}"` : (tp ? 'New template' : 'New template') }),
    h('div', { class: 'editor-grid' },
      h('div', { class: 'editor-fields' }, f.name.wrap, f.title.wrap, f.description.wrap,
        h('div', { class: 'two' }, f.buttonText.wrap, f.buttonUrl.wrap), f.type.wrap),
      h('div', { class: 'editor-preview' }, h('h4', { text: 'Live preview' }), preview, sampleWrap)),
    formStatus,
    h('div', { class: 'row' },
      h('button', { type: 'submit', text: editing ? 'Save changes' : 'Create template' }),
      h('button', { type: 'button', class: 'secondary', text: 'Close', onclick: () => { editorWrap.hidden = true; clear(editorWrap); } })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const k of Object.keys(f)) f[k].error.textContent = '';
    const body = {
      name: f.name.input.value.trim(),
      title: f.title.input.value,
      description: f.description.input.value,
      notificationType: f.type.input.value,
      button: (f.buttonText.input.value || f.buttonUrl.input.value)
        ? { text: f.buttonText.input.value, url: f.buttonUrl.input.value.trim() } : null,
    };
    let bad = false;
    if (!body.name) { f.name.error.textContent = 'Give the template a name.'; bad = true; }
    if (!body.title.trim()) { f.title.error.textContent = 'A title is needed.'; bad = true; }
    if (bad) { form.querySelector('.field-error:not(:empty)')?.previousElementSibling?.focus?.(); formStatus.set('Fix the fields marked above.', 'error'); return; }
    try {
      const saved = editing
        ? await api('PUT', `/v1/systems/${enc(ctx.systemId)}/templates/${enc(tp.id)}`, body)
        : await api('POST', `/v1/systems/${enc(ctx.systemId)}/templates`, body);
      toast(editing ? 'Template saved' : 'Template created');
      status.set(`Template "${saved.name}" ${editing ? 'saved' : 'created'}; placeholders: ${saved.placeholders.join(', ') || 'none'}.`, 'ok');
      editorWrap.hidden = true;
      clear(editorWrap);
      await load();
    } catch (e) {
      const map = { name: f.name, title: f.title, description: f.description, 'button.text': f.buttonText, 'button.url': f.buttonUrl, button: f.buttonUrl, notificationType: f.type };
      const rest = [];
      for (const d of e.details) {
        const target = map[d.field];
        if (target) target.error.textContent = d.message; else rest.push(`${d.field}: ${d.message}`);
      }
      formStatus.set([e.message, ...rest].join(' '), 'error');
      if (e.status === 409 && editing) {
        formStatus.append(' ', h('button', { type: 'button', class: 'secondary', text: 'Duplicate it', onclick: () => duplicate(tp) }));
      }
    }
  });
  editorWrap.append(form);
  update();
  f.name.input.focus();
}

export default {
  init(el, c) {
    root = el; ctx = c;
    status = statusLine();
    listWrap = h('div', { class: 'list' });
    editorWrap = h('div', { hidden: true });
    showArchived = h('input', { type: 'checkbox', id: 'tpl-archived' });
    showArchived.addEventListener('change', load);
    root.append(
      h('h2', { id: 'h-templates', tabindex: '-1', text: 'Templates' }),
      h('p', { class: 'muted', text: 'The design of a notification: title, description and one button. ###NAME### placeholders are filled when sending.' }),
      h('div', { class: 'row toolbar' },
        h('button', { type: 'button', text: 'New template', onclick: () => { if (ctx.systemId) openEditor(null); } }),
        h('label', { class: 'check' }, showArchived, ' Show archived')),
      editorWrap, status, listWrap);
    ctx.onSystem(() => { editorWrap.hidden = true; clear(editorWrap); if (!root.hidden) load(); });
  },
  show() { load(); },
};
