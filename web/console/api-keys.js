// api-keys.js: list, create (the secret is shown once, with a copy button) and revoke API keys.
import { h, clear, field, table, cell, timeEl, statusLine, confirmDialog, copyText, toast } from './dom.js';
import { api, enc, session } from './api.js';

const SCOPES = [
  ['notifications:write', 'Trigger and cancel notifications'],
  ['notifications:read', 'List notifications and read their stats'],
  ['admin:write', 'Manage systems, templates, end users, audiences and keys'],
  ['admin:read', 'Read systems, templates, end users, audiences and keys'],
];

let root, ctx, listWrap, status, secretBox;

async function load() {
  let page;
  try { page = await api('GET', '/v1/api-keys'); } catch (e) { status.set(e.message, 'error'); return; }
  clear(listWrap);
  const mine = session.get()?.clientId;
  const t = table(['Name', 'Client ID', 'Scopes', 'Created', 'State', 'Actions'], 'API keys');
  for (const k of page.items) {
    const revoked = !!k.revokedAt;
    t.tbody.append(h('tr', { dataset: { id: k.clientId }, class: revoked ? 'dim' : '' },
      cell('Name', h('strong', { text: k.name })),
      cell('Client ID', h('code', { text: k.clientId })),
      cell('Scopes', h('span', { class: 'scopes' }, k.scopes.map((s) => h('span', { class: 'badge', text: s })))),
      cell('Created', timeEl(k.createdAt)),
      cell('State', revoked ? h('span', null, 'revoked ', timeEl(k.revokedAt)) : (k.clientId === mine ? 'active (this session)' : 'active')),
      cell('Actions', revoked ? '—' : h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'danger', text: 'Revoke', 'aria-label': `Revoke key ${k.name}`, onclick: () => revoke(k) })))));
  }
  listWrap.append(t.el);
}

async function revoke(k) {
  const self = k.clientId === session.get()?.clientId;
  if (!await confirmDialog(`Revoke the key "${k.name}" (${k.clientId})? Its tokens stop working at once.${self ? ' This is the key you are signed in with: you will be signed out.' : ''}`,
    { title: 'Revoke API key', ok: 'Revoke' })) return;
  try {
    await api('DELETE', `/v1/api-keys/${enc(k.clientId)}`);
    status.set(`Key "${k.name}" revoked.`, 'ok');
    load();
  } catch (e) { status.set(e.message, 'error'); }
}

function showSecret(k) {
  clear(secretBox);
  const copy = h('button', { type: 'button', id: 'copy-secret', text: 'Copy secret' });
  copy.addEventListener('click', () => copyText(k.clientSecret, copy));
  const copyId = h('button', { type: 'button', class: 'secondary', text: 'Copy client ID' });
  copyId.addEventListener('click', () => copyText(k.clientId, copyId));
  secretBox.append(
    h('h3', { text: `Key "${k.name}" created` }),
    h('p', { class: 'warning', role: 'alert', text: 'Copy the client secret now: it is shown only this once and cannot be recovered (only a hash is stored).' }),
    h('dl', { class: 'kv' },
      h('dt', { text: 'Client ID' }), h('dd', null, h('code', { class: 'client-id', text: k.clientId })),
      h('dt', { text: 'Client secret' }), h('dd', null, h('code', { class: 'secret', id: 'new-secret', text: k.clientSecret })),
      h('dt', { text: 'Scopes' }), h('dd', { text: k.scopes.join(' ') })),
    h('div', { class: 'row' }, copy, copyId,
      h('button', { type: 'button', class: 'secondary', text: 'I have stored it', onclick: () => { clear(secretBox); secretBox.hidden = true; } })));
  secretBox.hidden = false;
  copy.focus();
}

export default {
  init(el, c) {
    root = el; ctx = c;
    status = statusLine();
    listWrap = h('div', { class: 'list' });
    secretBox = h('div', { class: 'card secret-box', hidden: true, id: 'key-secret' });
    const name = field('Name', h('input', { name: 'name', maxlength: 200, autocomplete: 'off', placeholder: 'e.g. ServiceNow' }));
    const scopeError = h('p', { class: 'field-error', role: 'alert' });
    const boxes = SCOPES.map(([s, d]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'scopes', value: s, checked: s === 'notifications:write' }), ' ', h('code', { text: s }), h('span', { class: 'hint', text: ` ${d}` })));
    const form = h('form', { class: 'card inline-form', novalidate: true },
      h('h3', { text: 'New API key' }), name.wrap,
      h('fieldset', { class: 'scopes-set' }, h('legend', { text: 'Scopes' }), boxes, scopeError),
      h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Create key' })));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      name.error.textContent = ''; scopeError.textContent = '';
      const n = name.input.value.trim();
      const scopes = [...form.querySelectorAll('input[name=scopes]:checked')].map((x) => x.value);
      if (!n) { name.error.textContent = 'Name the key after what will use it.'; name.input.focus(); return; }
      if (!scopes.length) { scopeError.textContent = 'Pick at least one scope.'; return; }
      try {
        const k = await api('POST', '/v1/api-keys', { name: n, scopes });
        name.input.value = '';
        toast('API key created');
        showSecret(k);
        load();
      } catch (e) {
        for (const d of e.details) (d.field.startsWith('scopes') ? scopeError : name.error).textContent = d.message;
        if (!e.details.length) status.set(e.message, 'error');
      }
    });
    root.append(
      h('h2', { id: 'h-api-keys', tabindex: '-1', text: 'API keys' }),
      h('p', { class: 'muted', text: 'Client credentials for integrations (ServiceNow, Okta, Zapier, curl). They get a token at POST /oauth/token.' }),
      form, secretBox, status, listWrap);
  },
  show() { load(); },
  hide() { clear(secretBox); secretBox.hidden = true; },
};
