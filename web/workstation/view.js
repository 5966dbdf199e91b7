// view.js: DOM builders for one notification (list item, toast, popup body). Notification text is
// only ever set with textContent (SPEC §8): a title such as `<img src=x onerror=…>` shows as is.
import { safeUrl } from './api.js';

export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/** The button as a link opening a new tab, or null when it has no http(s) URL. */
export function actionLink(item) {
  const href = safeUrl(item.button);
  if (!href) return null;
  const a = el('a', 'action', item.button.text || 'Open');
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  return a;
}

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function formatTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : when.format(d);
}

/** The list item of a notification: li[data-id] with .title, .description, a.action, button.dismiss. */
export function listItem(item) {
  const li = el('li', 'item');
  li.dataset.id = item.id;
  const head = el('div', 'item-head');
  head.append(el('span', 'dot'), el('span', 'title', item.title));
  if (item.type === 'popup') head.append(el('span', 'tag', 'Popup'));
  head.append(el('span', 'tag expired-tag', 'Expired'));
  li.append(head);
  if (item.description) li.append(el('p', 'description', item.description));
  const foot = el('div', 'item-foot');
  const at = item.startAt || item.receivedAt;
  if (at) {
    const t = el('time', 'when', formatTime(at));
    t.dateTime = at;
    foot.append(t);
  }
  foot.append(el('span', 'spacer'));
  const link = actionLink(item);
  if (link) foot.append(link);
  const dismiss = el('button', 'dismiss', 'Dismiss');
  dismiss.type = 'button';
  dismiss.setAttribute('aria-label', `Dismiss “${item.title ?? ''}”`);
  foot.append(dismiss);
  li.append(foot);
  updateItem(li, item);
  return li;
}

/** Reflects read and expiry state on an existing list item. */
export function updateItem(li, item) {
  li.classList.toggle('unread', !item.seenAt && !item.expired);
  li.classList.toggle('expired', !!item.expired);
  li.querySelector('.expired-tag').hidden = !item.expired;
}

/** A toast: div.toast[data-id] with the title, description, the action link and a close button. */
export function toast(item) {
  const div = el('div', 'toast');
  div.dataset.id = item.id;
  div.setAttribute('role', 'status');
  const body = el('div', 'toast-body');
  body.append(el('p', 'title', item.title));
  if (item.description) body.append(el('p', 'description', item.description));
  const link = actionLink(item);
  if (link) body.append(link);
  const close = el('button', 'close', '×');
  close.type = 'button';
  close.setAttribute('aria-label', 'Close');
  div.append(body, close);
  return div;
}
