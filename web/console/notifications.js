// notifications.js: the notification table by status (tabs), with live stats refreshed every
// 2 s while the page is visible, and cancel.
import { h, clear, table, cell, timeEl, statusLine, confirmDialog, toast } from './dom.js';
import { api, enc } from './api.js';

const TABS = [['active', 'Active'], ['scheduled', 'Scheduled'], ['completed', 'Completed'], ['cancelled', 'Cancelled']];
const STATS = ['targeted', 'received', 'seen', 'clicked', 'dismissed'];
const COLUMNS = ['Title', 'Type', 'Start', 'End', 'Created by', 'Targeted', 'Received', 'Seen', 'Clicked', 'Dismissed', 'Actions'];

let root, ctx, tablist, panel, status, tbl, empty, tab = 'active', timer = null, visible = false, busy = false, again = false, gen = 0;

function selectTab(name, focus = false) {
  tab = name;
  sessionStorage.setItem('herald.console.tab', name);
  for (const b of tablist.children) {
    const on = b.dataset.tab === name;
    b.setAttribute('aria-selected', on ? 'true' : 'false');
    b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  }
  panel.setAttribute('aria-labelledby', `tab-${name}`);
  clear(tbl.tbody);
  gen++;
  refresh();
}

function row(n) {
  const tr = h('tr', { dataset: { id: n.id } });
  const title = cell('Title');
  const stats = STATS.map((s) => cell(s[0].toUpperCase() + s.slice(1), h('span', { class: 'num', dataset: { stat: s }, text: '…' })));
  tr.append(title, cell('Type'), cell('Start'), cell('End'), cell('Created by'), ...stats, cell('Actions'));
  return tr;
}

function fill(tr, n) {
  const [title, type, start, end, by, , , , , , actions] = [...tr.children].map((td) => td.firstChild);
  title.replaceChildren(h('strong', { class: 'n-title', text: n.title || n.runtimeTitle }),
    n.title && n.runtimeTitle && n.title !== n.runtimeTitle ? h('span', { class: 'sub', text: n.runtimeTitle }) : null);
  type.replaceChildren(h('span', { class: `type-tag ${n.notificationType}`, text: n.notificationType }));
  start.replaceChildren(timeEl(n.startAt));
  end.replaceChildren(timeEl(n.endAt));
  by.replaceChildren(h('code', { text: n.createdBy }));
  const cancellable = n.status === 'active' || n.status === 'scheduled';
  if (cancellable && !actions.querySelector('button')) {
    actions.replaceChildren(h('button', { type: 'button', class: 'danger', text: 'Cancel',
      'aria-label': `Cancel notification ${n.title || n.runtimeTitle}`, onclick: () => cancel(n) }));
  } else if (!cancellable) actions.replaceChildren(n.cancelledAt ? h('span', { class: 'hint' }, 'cancelled ', timeEl(n.cancelledAt)) : '—');
}

function setStats(tr, stats) {
  for (const s of STATS) {
    const el = tr.querySelector(`[data-stat=${s}]`);
    const v = String(stats[s]);
    if (el.textContent === v) continue;
    const changed = el.textContent !== '…';
    el.textContent = v;
    if (changed) { el.classList.remove('bump'); void el.offsetWidth; el.classList.add('bump'); }
  }
}

async function cancel(n) {
  if (!await confirmDialog(`Cancel "${n.title || n.runtimeTitle}"? It disappears at once from every end user's list.`,
    { title: 'Cancel notification', ok: 'Cancel notification' })) return;
  try {
    await api('DELETE', `/v1/notifications/${enc(n.id)}`);
    toast('Notification cancelled');
    status.set(`"${n.title || n.runtimeTitle}" cancelled.`, 'ok');
  } catch (e) { status.set(e.message, 'error'); }
  refresh();
}

async function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  const mine = gen;
  try {
    if (!ctx.systemId) { tbl.el.hidden = true; empty.hidden = false; empty.replaceChildren(ctx.needSystem()); return; }
    const page = await api('GET', `/v1/notifications?status=${tab}&systemId=${enc(ctx.systemId)}&limit=50`);
    if (mine !== gen) return;
    const byId = new Map([...tbl.tbody.children].map((tr) => [tr.dataset.id, tr]));
    const rows = page.items.map((n) => {
      let tr = byId.get(n.id);
      if (!tr) tr = row(n);
      byId.delete(n.id);
      fill(tr, n);
      return tr;
    });
    for (const tr of byId.values()) tr.remove();
    rows.forEach((tr, i) => { if (tbl.tbody.children[i] !== tr) tbl.tbody.insertBefore(tr, tbl.tbody.children[i] || null); });
    tbl.el.hidden = !rows.length;
    empty.hidden = !!rows.length;
    empty.replaceChildren(h('p', { class: 'empty', text: `No ${tab} notification in this system.` }));
    const details = await Promise.all(page.items.map((n) => api('GET', `/v1/notifications/${enc(n.id)}`).catch(() => null)));
    if (mine !== gen) return;
    details.forEach((d) => {
      const tr = d && tbl.tbody.querySelector(`tr[data-id="${CSS.escape(d.id)}"]`);
      if (tr) setStats(tr, d.stats);
    });
    root.querySelector('.updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    if (e.status !== 401) status.set(e.message, 'error');
  } finally {
    busy = false;
    if (again) { again = false; refresh(); }
  }
}

function schedule() {
  clearInterval(timer);
  timer = null;
  if (visible && document.visibilityState === 'visible') timer = setInterval(refresh, 2000);
}

export default {
  init(el, c) {
    root = el; ctx = c;
    tab = sessionStorage.getItem('herald.console.tab') || 'active';
    tablist = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Notification status' },
      TABS.map(([v, label]) => h('button', { type: 'button', role: 'tab', id: `tab-${v}`, dataset: { tab: v }, 'aria-controls': 'notif-panel', text: label })));
    tablist.addEventListener('click', (e) => { const b = e.target.closest('[role=tab]'); if (b) selectTab(b.dataset.tab); });
    tablist.addEventListener('keydown', (e) => {
      const i = TABS.findIndex(([v]) => v === tab);
      let j = null;
      if (e.key === 'ArrowRight') j = (i + 1) % TABS.length;
      else if (e.key === 'ArrowLeft') j = (i - 1 + TABS.length) % TABS.length;
      else if (e.key === 'Home') j = 0;
      else if (e.key === 'End') j = TABS.length - 1;
      if (j !== null) { e.preventDefault(); selectTab(TABS[j][0], true); }
    });
    tbl = table(COLUMNS, 'Notifications');
    tbl.el.classList.add('notif-table');
    empty = h('div');
    status = statusLine();
    panel = h('div', { role: 'tabpanel', id: 'notif-panel', tabindex: '0' }, tbl.el, empty);
    root.append(
      h('div', { class: 'row between' }, h('h2', { id: 'h-notifications', tabindex: '-1', text: 'Notifications' }),
        h('div', { class: 'row' }, h('span', { class: 'hint updated', 'aria-live': 'off' }),
          h('button', { type: 'button', class: 'secondary', text: 'New notification', onclick: () => ctx.go('send') }))),
      tablist, status, panel);
    document.addEventListener('visibilitychange', () => { schedule(); if (visible && document.visibilityState === 'visible') refresh(); });
    ctx.onSystem(() => { if (visible) { clear(tbl.tbody); gen++; refresh(); } });
  },
  show() {
    visible = true;
    tab = sessionStorage.getItem('herald.console.tab') || tab;
    status.set('');
    selectTab(tab);
    schedule();
  },
  hide() { visible = false; schedule(); },
};
