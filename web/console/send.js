// send.js: the send form. It builds the POST /v1/notifications payload as you type, shows it as
// JSON and as a curl command (with $TOKEN, never the real token), sends it, and puts the
// server's error details next to the fields they name.
import { h, clear, field, statusLine, copyText, toast, fmtTime } from './dom.js';

function recipients(rc) {
  const parts = [];
  if (rc.endUsers) parts.push(`${rc.endUsers} end user${rc.endUsers === 1 ? '' : 's'}${rc.unknownEndUsers ? ` (${rc.unknownEndUsers} not known yet)` : ''}`);
  if (rc.audiences) parts.push(`${rc.audiences} audience${rc.audiences === 1 ? '' : 's'}`);
  return parts.join(' and ') || 'nobody';
}
import { api, enc, listAll } from './api.js';

let root, ctx, f, templates = [], audiences = [], jsonOut, curlOut, formStatus, result, phWrap, audWrap, audError, phError;

const pad = (n) => String(n).padStart(2, '0');
/** A datetime-local value (the browser's zone) as ISO 8601 with that zone's offset then. */
export function localToIso(v) {
  if (!v) return null;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return v;
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  const base = v.length === 16 ? `${v}:00` : v.slice(0, 19);
  return `${base}${off >= 0 ? '+' : '-'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

export function splitIds(text) {
  const out = [];
  for (const p of String(text).split(/[,\r\n]+/)) { const v = p.trim(); if (v && !out.includes(v)) out.push(v); }
  return out;
}

function template() { return templates.find((t) => t.id === f.template.input.value) || null; }

function payload() {
  const n = {};
  if (f.system.input.value) n.systemId = f.system.input.value;
  n.templateId = f.template.input.value || '';
  const users = splitIds(f.endUsers.input.value);
  if (users.length) n.endUsersIds = users;
  const auds = [...audWrap.querySelectorAll('input:checked')].map((x) => x.value);
  if (auds.length) n.audiencesIds = auds;
  n.notificationType = root.querySelector('input[name=send-type]:checked')?.value || 'push';
  if (f.title.input.value.trim()) n.title = f.title.input.value.trim();
  if (f.runtimeTitle.input.value) n.runtimeTitle = f.runtimeTitle.input.value;
  if (f.runtimeDescription.input.value) n.runtimeDescription = f.runtimeDescription.input.value;
  if (f.startAt.input.value) n.startAt = localToIso(f.startAt.input.value);
  if (f.endAt.input.value) n.endAt = localToIso(f.endAt.input.value);
  const ov = [...phWrap.querySelectorAll('input[data-ph]')].map((x) => ({ key: x.dataset.ph, value: x.value }));
  if (ov.length) n.override = ov;
  return { notification: n };
}

function shellQuote(s) { return `'${s.replace(/'/g, `'\\''`)}'`; }

function updateOutputs() {
  const body = JSON.stringify(payload(), null, 2);
  jsonOut.textContent = body;
  curlOut.textContent = [
    `curl -X POST ${shellQuote(`${location.origin}/v1/notifications`)} \\`,
    '  -H "Authorization: Bearer $TOKEN" \\',
    "  -H 'Content-Type: application/json' \\",
    `  -d ${shellQuote(body)}`,
  ].join('\n');
}

function renderPlaceholders() {
  const t = template();
  const old = Object.fromEntries([...phWrap.querySelectorAll('input[data-ph]')].map((x) => [x.dataset.ph, x.value]));
  clear(phWrap);
  if (!t) { phWrap.append(h('p', { class: 'hint', text: 'Choose a template.' })); return; }
  if (!t.placeholders.length) { phWrap.append(h('p', { class: 'hint', text: 'This template has no placeholder.' })); return; }
  for (const p of t.placeholders) {
    const inp = h('input', { autocomplete: 'off', dataset: { ph: p }, value: old[p] || '', 'aria-required': 'true' });
    inp.addEventListener('input', updateOutputs);
    phWrap.append(field(`###${p}###`, inp, { field: `ph:${p}` }).wrap);
  }
}

async function loadSystemData() {
  const sys = f.system.input.value;
  clear(f.template.input); clear(audWrap);
  templates = []; audiences = [];
  if (sys) {
    try {
      [templates, audiences] = await Promise.all([
        listAll(`/v1/systems/${enc(sys)}/templates`),
        listAll(`/v1/systems/${enc(sys)}/audiences`),
      ]);
    } catch (e) { formStatus.set(e.message, 'error'); }
  }
  f.template.input.append(h('option', { value: '', text: templates.length ? 'Choose a template…' : 'No template in this system' }));
  for (const t of templates) f.template.input.append(h('option', { value: t.id, text: t.name }));
  if (templates.length === 1) f.template.input.value = templates[0].id;
  if (!audiences.length) audWrap.append(h('p', { class: 'hint', text: 'No audience in this system.' }));
  for (const a of audiences)
    audWrap.append(h('label', { class: 'check' }, h('input', { type: 'checkbox', value: a.id, onchange: updateOutputs }), ` ${a.name} `, h('span', { class: 'hint', text: `(${a.size})` })));
  onTemplate();
}

function onTemplate() {
  const t = template();
  if (t) root.querySelector(`input[name=send-type][value=${t.notificationType}]`).checked = true;
  f.runtimeTitle.input.placeholder = t ? t.title : '';
  f.runtimeDescription.input.placeholder = t ? t.description : '';
  f.title.input.placeholder = t ? t.name : '';
  renderPlaceholders();
  updateOutputs();
}

function clearErrors() {
  for (const k of Object.keys(f)) f[k].error.textContent = '';
  audError.textContent = ''; phError.textContent = '';
  for (const e of phWrap.querySelectorAll('.field-error')) e.textContent = '';
  formStatus.set('');
}

function showErrors(e) {
  const p = payload().notification;
  const rest = [];
  for (const d of e.details) {
    const m = /^notification\.([A-Za-z]+)(?:\[(\d+)\])?(?:\.(\w+))?/.exec(d.field || '');
    const name = m?.[1];
    let target = null;
    if (name === 'override') {
      const ov = m[2] !== undefined ? p.override?.[Number(m[2])] : null;
      const inp = ov && phWrap.querySelector(`input[data-ph="${CSS.escape(ov.key)}"]`);
      target = inp ? inp.parentElement.querySelector('.field-error') : phError;
    } else if (name === 'audiencesIds') target = audError;
    else if (name === 'endUsersIds') target = f.endUsers.error;
    else if (name && f[name]) target = f[name].error;
    else if (name === 'systemId') target = f.system.error;
    else if (name === 'templateId') target = f.template.error;
    if (target) target.textContent = target.textContent ? `${target.textContent} ${d.message}` : d.message;
    else rest.push(`${d.field}: ${d.message}`);
  }
  const placed = e.details.length - rest.length;
  formStatus.set(placed && !rest.length ? `Not sent: fix the field${placed === 1 ? '' : 's'} marked above.` : [e.message, ...rest].join(' '), 'error');
  root.querySelector('.field-error:not(:empty)')?.closest('.field, fieldset')?.querySelector('input, select, textarea')?.focus();
}

async function send(ev) {
  ev.preventDefault();
  clearErrors();
  clear(result);
  const body = payload();
  if (!body.notification.templateId) { f.template.error.textContent = 'Choose a template.'; f.template.input.focus(); return; }
  if (!body.notification.endUsersIds && !body.notification.audiencesIds) {
    f.endUsers.error.textContent = 'Name end users or pick an audience.'; f.endUsers.input.focus(); return;
  }
  const btn = root.querySelector('#send-submit');
  btn.disabled = true;
  try {
    const r = await api('POST', '/v1/notifications', body);
    const rc = r.recipients;
    toast(`Notification ${r.status === 'scheduled' ? 'scheduled' : 'sent'}`);
    result.append(h('div', { class: 'card sent ok', role: 'status' },
      h('p', null, h('strong', { text: r.status === 'scheduled' ? 'Scheduled.' : 'Sent.' }), ' ',
        `A ${r.notificationType} to ${recipients(rc)}, from ${fmtTime(r.startAt)} to ${fmtTime(r.endAt)}.`),
      h('p', { class: 'hint' }, 'Id ', h('code', { text: r.id })),
      h('button', { type: 'button', class: 'secondary', text: 'See it in Notifications',
        onclick: () => { sessionStorage.setItem('herald.console.tab', r.status); ctx.go('notifications'); } })));
  } catch (e) {
    showErrors(e);
  } finally {
    btn.disabled = false;
  }
}

export default {
  init(el, c) {
    root = el; ctx = c;
    const typeName = 'send-type';
    f = {
      system: field('System', h('select', { name: 'systemId' }), { field: 'systemId' }),
      template: field('Template', h('select', { name: 'templateId' }), { field: 'templateId' }),
      endUsers: field('End users', h('textarea', { name: 'endUsersIds', rows: 2, spellcheck: 'false', placeholder: 'ada@example.com, grace@example.com' }), { field: 'endUsersIds', hint: 'Ids separated by commas or new lines (at most 100).' }),
      notificationType: { error: h('p', { class: 'field-error', role: 'alert' }) },
      title: field('Console title', h('input', { name: 'title', maxlength: 200, autocomplete: 'off' }), { field: 'title', hint: 'The name in the notification table (default: the template\'s name).' }),
      runtimeTitle: field('Title shown', h('input', { name: 'runtimeTitle', maxlength: 500, autocomplete: 'off' }), { field: 'runtimeTitle', hint: 'Default: the template\'s title.' }),
      runtimeDescription: field('Description shown', h('textarea', { name: 'runtimeDescription', rows: 2, maxlength: 4000 }), { field: 'runtimeDescription', hint: 'Default: the template\'s description.' }),
      startAt: field('Start', h('input', { type: 'datetime-local', name: 'startAt' }), { field: 'startAt', hint: 'In your time zone; empty: now.' }),
      endAt: field('End', h('input', { type: 'datetime-local', name: 'endAt' }), { field: 'endAt', hint: 'Empty: 30 days after the start.' }),
    };
    const typeSet = h('fieldset', { class: 'choice', dataset: { field: 'notificationType' } }, h('legend', { text: 'Type' }),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: typeName, value: 'push', checked: true }), ' push (toast and list)'),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: typeName, value: 'popup' }), ' popup (must be acknowledged)'),
      f.notificationType.error);
    audWrap = h('div', { class: 'checks' });
    audError = h('p', { class: 'field-error', role: 'alert' });
    phWrap = h('div', { class: 'ph-inputs' });
    phError = h('p', { class: 'field-error', role: 'alert' });
    jsonOut = h('pre', { class: 'code', id: 'send-json', tabindex: '0', 'aria-label': 'JSON payload' });
    curlOut = h('pre', { class: 'code', id: 'send-curl', tabindex: '0', 'aria-label': 'curl command' });
    formStatus = statusLine();
    result = h('div', { 'aria-live': 'polite' });
    const copyJson = h('button', { type: 'button', class: 'secondary small', text: 'Copy JSON' });
    copyJson.addEventListener('click', () => copyText(jsonOut.textContent, copyJson));
    const copyCurl = h('button', { type: 'button', class: 'secondary small', text: 'Copy curl' });
    copyCurl.addEventListener('click', () => copyText(curlOut.textContent, copyCurl));

    const form = h('form', { class: 'card send-form', novalidate: true, id: 'send-form' },
      h('div', { class: 'two' }, f.system.wrap, f.template.wrap),
      h('fieldset', { class: 'recipients' }, h('legend', { text: 'Recipients' }), f.endUsers.wrap,
        h('div', { class: 'field', dataset: { field: 'audiencesIds' } }, h('p', { class: 'label', text: 'Audiences' }), audWrap, audError)),
      typeSet,
      h('fieldset', null, h('legend', { text: 'Placeholders' }), phWrap, phError),
      h('fieldset', { class: 'more' }, h('legend', { text: 'Texts and schedule (optional)' }),
        f.title.wrap, f.runtimeTitle.wrap, f.runtimeDescription.wrap,
        h('div', { class: 'two' }, f.startAt.wrap, f.endAt.wrap)),
      formStatus,
      h('div', { class: 'row' }, h('button', { type: 'submit', id: 'send-submit', text: 'Send notification' })),
      result);
    form.addEventListener('submit', send);
    form.addEventListener('input', updateOutputs);
    form.addEventListener('change', updateOutputs);
    f.template.input.addEventListener('change', onTemplate);
    f.system.input.addEventListener('change', () => { ctx.selectSystem(f.system.input.value); });

    root.append(
      h('h2', { id: 'h-send', tabindex: '-1', text: 'Send a notification' }),
      h('div', { class: 'send-grid' }, form,
        h('aside', { class: 'card equivalent', 'aria-label': 'Equivalent API call' },
          h('div', { class: 'row between' }, h('h3', { text: 'JSON payload' }), copyJson), jsonOut,
          h('div', { class: 'row between' }, h('h3', { text: 'curl' }), copyCurl), curlOut,
          h('p', { class: 'hint', text: 'Set TOKEN to an access token from POST /oauth/token first.' }))));
    ctx.onSystem(() => { if (!root.hidden) this.show(); });
  },
  show() {
    const sel = f.system.input;
    clear(sel);
    for (const s of ctx.systems) sel.append(h('option', { value: s.id, text: s.name }));
    if (!ctx.systems.length) sel.append(h('option', { value: '', text: 'No system yet' }));
    sel.value = ctx.systemId;
    loadSystemData();
  },
};
