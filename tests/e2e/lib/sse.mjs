// sse.mjs: an end user's live stream through a strict third-party SSE client (eventsource@4),
// recording every `notification` and `retract` event it hears.
import { EventSource } from 'eventsource';
import { SLOW } from './herald.mjs';

/** An EventSource that records every event; waitFor(n) resolves once n have arrived. */
export function listen(url) {
  const events = [];
  const waiters = [];
  const es = new EventSource(url);
  const record = (type) => (e) => {
    events.push({ type, id: e.lastEventId, data: JSON.parse(e.data), at: Date.now() });
    for (const w of [...waiters]) if (events.length >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  };
  es.addEventListener('notification', record('notification'));
  es.addEventListener('retract', record('retract'));
  const opened = new Promise((resolve, reject) => { es.onopen = resolve; es.onerror = reject; });
  return {
    es, events, opened,
    waitFor(n, ms = 5000 * SLOW) {
      if (events.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { n, resolve };
        waiters.push(w);
        setTimeout(() => reject(new Error(`waited for ${n} events, got ${JSON.stringify(events)}`)), ms);
      });
    },
    close() { es.close(); },
  };
}
