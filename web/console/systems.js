// systems.js: list, create, select and delete systems.
import { h, clear, field, table, cell, timeEl, statusLine, confirmDialog, copyText, toast } from './dom.js';
import { api, enc } from './api.js';

let root, ctx, listWrap, status, secretBox;

function render() {
  clear(listWrap);
  if (!ctx.systems.length) {
    listWrap.append(h('p', { class: 'empty', text: 'No system yet. Create one to start.' }));
    return;
  }
  const t = table(['Name', 'Id', 'Created', 'Actions'], 'Systems');
  for (const s of ctx.systems) {
    const selected = s.id === ctx.systemId;
    t.tbody.append(h('tr', { dataset: { id: s.id }, class: selected ? 'selected' : '' },
      cell('Name', h('strong', { text: s.name }), selected ? h('span', { class: 'badge', text: 'selected' }) : null),
      cell('Id', h('code', { text: s.id })),
      cell('Created', timeEl(s.createdAt)),
      cell('Actions', h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', disabled: selected, text: 'Select',
          'aria-label': `Select system ${s.name}`, onclick: () => ctx.selectSystem(s.id) }),
        h('button', { type: 'button', class: 'danger', text: 'Delete',
          'aria-label': `Delete system ${s.name}`, onclick: () => remove(s) })))));
  }
  listWrap.append(t.el);
}

async function remove(s) {
  if (!await confirmDialog(`Delete the system "${s.name}" with its templates, audiences and end users?`,
    { title: 'Delete system', ok: 'Delete' })) return;
  try {
    await api('DELETE', `/v1/systems/${enc(s.id)}`);
  } catch (e) {
    if (e.status !== 409) { status.set(e.message, 'error'); return; }
    if (!await confirmDialog(`${e.message}`, { title: 'The system has live notifications', ok: 'Cancel them and delete' })) {
      status.set('The system was kept.', '');
      return;
    }
    try {
      await api('DELETE', `/v1/systems/${enc(s.id)}?cascade=true`);
    } catch (e2) { status.set(e2.message, 'error'); return; }
  }
  status.set(`System "${s.name}" deleted.`, 'ok');
  await ctx.refreshSystems();
}

export default {
  init(el, c) {
    root = el; ctx = c;
    const name = field('Name', h('input', { name: 'name', required: true, maxlength: 200, autocomplete: 'off' }));
    status = statusLine();
    secretBox = h('div', { class: 'secret-box', hidden: true });
    const form = h('form', { class: 'card inline-form', novalidate: true },
      h('h3', { text: 'New system' }), name.wrap,
      h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Create system' })));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      name.error.textContent = '';
      const n = name.input.value.trim();
      if (!n) { name.error.textContent = 'Give the system a name.'; name.input.focus(); return; }
      try {
        const s = await api('POST', '/v1/systems', { name: n });
        name.input.value = '';
        status.set(`System "${s.name}" created and selected.`, 'ok');
        showSecret(s);
        await ctx.refreshSystems();
        ctx.selectSystem(s.id);
      } catch (e) {
        name.error.textContent = e.details[0]?.message || e.message;
      }
    });
    listWrap = h('div', { class: 'list' });
    root.append(
      h('h2', { id: 'h-systems', tabindex: '-1', text: 'Systems' }),
      h('p', { class: 'muted', text: 'A system is one "Workstation" of your organization; it owns templates, audiences and end users.' }),
      form, secretBox, status, listWrap);
    ctx.onSystem(() => { if (!root.hidden) render(); });
  },
  show() { render(); },
};

function showSecret(s) {
  clear(secretBox);
  const copy = h('button', { type: 'button', class: 'secondary', text: 'Copy signing secret' });
  copy.addEventListener('click', () => copyText(s.signingSecret, copy));
  secretBox.append(
    h('p', { class: 'warning', text: 'The signing secret lets your backend mint end-user tokens (HS256). It is shown only now: store it safely.' }),
    h('p', null, h('code', { class: 'secret', text: s.signingSecret })),
    h('div', { class: 'row' }, copy,
      h('button', { type: 'button', class: 'secondary', text: 'Done', onclick: () => { secretBox.hidden = true; clear(secretBox); } })));
  secretBox.hidden = false;
  toast('System created');
}
