// The call queues, live: for each queue its callers waiting (position,
// caller, how long), its agents (logged in or out, ringing, on a call,
// wrapping up) and its figures since the node started (waiting, longest
// wait, answered, abandoned, service level, average wait), read from
// GET /api/v1/queues every POLL_MS while the panel shows them. A write
// token also logs agents in and out from here.

import * as api from './api.js';
import {h, fill} from './dom.js';

const POLL_MS = 1000;

// The agents' states as the panel says them.
const STATES = {free: 'free', ringing: 'ringing', busy: 'on a call', wrap_up: 'wrap-up', logged_out: 'logged out'};

// clock says a duration in seconds as m:ss (h:mm:ss past an hour).
export function clock(secs) {
  const s = Math.max(0, Math.floor(secs || 0));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor(s / 60) % 60;
  const ss = String(s % 60).padStart(2, '0');
  return hh ? hh + ':' + String(mm).padStart(2, '0') + ':' + ss : mm + ':' + ss;
}

// slug makes a queue id usable inside an element id.
const slug = (id) => String(id).replace(/[^A-Za-z0-9_-]/g, '_');

export class QueuesView {
  constructor(app) {
    this.app = app;
    this.timer = 0;
    this.root = null;
  }

  // show puts the queues in panel and keeps them up to date until the
  // panel shows something else.
  show(panel) {
    this.stop();
    this.panel = panel;
    this.note = h('p', {class: 'muted', id: 'queues-note'}, 'Loading…');
    this.body = h('div', {id: 'queues-body'});
    this.root = h('div', {id: 'queues'}, h('h2', {}, 'Queues'),
      h('p', {class: 'muted'}, 'This node’s queues, updated every second.'), this.note, this.body);
    fill(panel, this.root);
    this.poll();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
  }

  async poll() {
    // Another view took the panel: stop asking.
    if (!this.root || !this.panel.contains(this.root)) { this.stop(); return; }
    let items;
    try {
      items = (await api.call('GET', '/queues')).body.items;
    } catch (e) {
      this.note.textContent = e.status === 503 ? 'No queues: this server runs no calls.' : 'Queues not loaded: ' + e.message;
      return;
    }
    if (!this.panel.contains(this.root)) return;
    this.note.textContent = items.length ? '' : 'No queue is configured.';
    this.render(items);
  }

  // render draws the queues again, keeping the keyboard focus where it
  // was (a button is remade under the same id).
  render(items) {
    const focused = this.root.contains(document.activeElement) ? document.activeElement.id : '';
    fill(this.body, items.map((q) => this.queue(q)));
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  queue(q) {
    const id = slug(q.id);
    const within = q.answered ? Math.round(100 * q.answered_within_service_level / q.answered) + '%' : '—';
    const figures = [
      ['Waiting', String(q.waiting.length)],
      ['Longest wait', clock(q.longest_wait_seconds)],
      ['Answered', String(q.answered)],
      ['Abandoned', String(q.abandoned)],
      ['Service level', within + ' within ' + q.service_level_seconds + ' s'],
      ['Average wait', q.average_wait_seconds === undefined ? '—' : clock(q.average_wait_seconds)],
    ];
    const title = q.name && q.name !== q.id ? q.id + ' — ' + q.name : q.id;
    return h('section', {class: 'queue', id: 'queue-' + id, 'aria-labelledby': 'queue-' + id + '-h', dataset: {queue: q.id}},
      h('h3', {id: 'queue-' + id + '-h'}, 'Queue ' + title + (q.number ? ' (' + q.number + ')' : '')),
      h('dl', {class: 'figures'}, figures.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {dataset: {figure: k}}, v)))),
      this.waiting(q, id), this.agents(q, id));
  }

  waiting(q, id) {
    if (!q.waiting.length) return h('p', {class: 'muted', id: 'queue-' + id + '-none'}, 'No caller waiting.');
    return h('table', {class: 'grid', id: 'queue-' + id + '-waiting'},
      h('caption', {}, 'Callers waiting in ' + q.id),
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Position'), h('th', {scope: 'col'}, 'Caller'), h('th', {scope: 'col'}, 'Waiting'))),
      h('tbody', {}, q.waiting.map((w) => h('tr', {dataset: {call: w.call_id}},
        h('td', {class: 'pos'}, String(w.position)), h('td', {class: 'caller'}, w.caller || 'unknown'),
        h('td', {class: 'wait'}, clock(w.wait_seconds))))));
  }

  agents(q, id) {
    const write = this.app.canWrite;
    return h('table', {class: 'grid', id: 'queue-' + id + '-agents'},
      h('caption', {}, 'Agents of ' + q.id),
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Agent'), h('th', {scope: 'col'}, 'State'),
        write ? h('th', {scope: 'col'}, h('span', {class: 'sr-only'}, 'Action')) : null)),
      h('tbody', {}, q.agents.map((a) => h('tr', {dataset: {agent: a.number}},
        h('td', {}, a.number), h('td', {class: 'state state-' + a.state}, STATES[a.state] || a.state),
        write ? h('td', {}, this.loginButton(q, a, id)) : null))));
  }

  loginButton(q, a, id) {
    const out = a.state === 'logged_out';
    const b = h('button', {type: 'button', id: 'queue-' + id + '-agent-' + slug(a.number),
      'aria-label': (out ? 'Log in agent ' : 'Log out agent ') + a.number + ' of queue ' + q.id}, out ? 'Log in' : 'Log out');
    b.addEventListener('click', async () => {
      try {
        await api.call('POST', '/queues/' + encodeURIComponent(q.id) + '/agents/' + encodeURIComponent(a.number) + (out ? '/login' : '/logout'));
        this.app.status('Agent ' + a.number + (out ? ' logged in to ' : ' logged out of ') + q.id + '.', 'ok');
      } catch (e) {
        this.app.status('Agent not changed: ' + e.message, 'error');
      }
      this.poll();
    });
    return b;
  }
}
