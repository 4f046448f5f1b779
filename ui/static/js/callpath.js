// One real call's path on the chart: from its call record (the menus it
// entered, its keys and hand-offs with their times since the answer),
// the boxes and edges it went through are lit and each key's edge says
// when it was pressed. Calls are picked from the recent call records of
// the IVR, from the calls in progress, or by their Call-ID.

import * as api from './api.js';
import {h, fill, field} from './dom.js';
import {plan} from './simulate.js';

const secs = (ms) => (ms / 1000).toFixed(1) + 's';

// menusOf is a record's path as a list (its JSON is "main>support").
const menusOf = (p) => (Array.isArray(p) ? p : String(p || '').split('>').filter(Boolean));

// destOf reads a transfer's destination as the record says it ("uri
// sip:x@y", "external 555 via trunk") into the simulator's form.
function destOf(text) {
  const [type, ...rest] = String(text || '').split(' ');
  if (type === 'external') {
    const m = /^(.*) via (.*)$/.exec(rest.join(' '));
    return {type, target: m ? m[1] : rest.join(' '), trunk: m ? m[2] : ''};
  }
  return {type, target: rest.join(' ')};
}

// recordEvents turns a call record into the simulator's events, so the
// chart is lit by the same plan as a simulation. The record does not say
// in which menu a key was pressed: a key whose edge leads to the next
// menu of the path enters it.
export function recordEvents(graph, rec) {
  const path = menusOf(rec.path);
  const events = [{event: 'answer', t_ms: 0, ivr: path[0]}];
  let pi = 0;
  const enter = (t) => { if (pi < path.length) events.push({event: 'enter', ivr: path[pi++], t_ms: t}); };
  enter(0);
  const items = [...(rec.keys || []).map((k) => ({t: k.at_ms, key: k.key})), ...(rec.transfers || []).map((x) => ({t: x.at_ms, transfer: x}))]
    .sort((a, b) => a.t - b.t || (a.key ? -1 : 1));
  for (const it of items) {
    if (it.key) {
      events.push({event: 'digit', digit: it.key, t_ms: it.t});
      const cur = path[pi - 1];
      const e = graph.edges.find((x) => x.from === 'menu:' + cur && x.key === it.key);
      const to = e && graph.nodes.get(e.to);
      if (to && ((to.ivr && to.ivr === path[pi] && (to.type === 'menu' || to.type === 'gate')) || (to.type === 'end' && (to.kind === 'back' || to.kind === 'top')))) enter(it.t);
      continue;
    }
    const x = it.transfer;
    events.push({event: 'transfer', method: x.method, dest: destOf(x.dest), t_ms: it.t});
    if (x.error) events.push({event: 'transfer_failed', detail: x.error, t_ms: it.t});
  }
  while (pi < path.length) enter(items.length ? items[items.length - 1].t : 0);
  if (rec.outcome && rec.outcome.kind === 'hangup') events.push({event: 'hangup', t_ms: items.length ? items[items.length - 1].t : 0});
  return events;
}

// said is one step of the call in words.
function said(e) {
  switch (e.event) {
    case 'enter': return 'menu ' + e.ivr;
    case 'digit': return 'key ' + e.digit;
    case 'transfer': return (e.method || 'hand-off') + ' → ' + e.dest.target;
    case 'transfer_failed': return 'hand-off failed: ' + e.detail;
    case 'hangup': return 'hang up';
  }
  return e.event;
}

export class CallPath {
  constructor(app, chart) {
    this.app = app;
    this.chart = chart;
    this.rec = null;
  }

  // clear takes the path off; menus drawn as they ran are drawn as they
  // are now again.
  clear() {
    this.rec = null;
    if (this.app.asRan.size) {
      this.app.asRan.clear();
      this.app.redraw();
    }
    this.reapply();
  }

  // reapply lights the call's path again after the chart was redrawn.
  reapply() {
    const c = this.chart;
    if (!this.rec || !this.app.graph || menusOf(this.rec.path)[0] !== this.app.root) {
      c.mark('walked', []); c.mark('walked-end', []);
      if (this.noted) for (const e of (this.app.graph || {edges: []}).edges) c.edgeNote(e.id, '');
      this.noted = false;
      return;
    }
    this.noted = true;
    const steps = plan(this.app.graph, recordEvents(this.app.graph, this.rec)).filter((s) => s.nodes.length || s.edges.length);
    const all = steps.flatMap((s) => [...s.nodes, ...s.edges]);
    c.mark('walked', all);
    const last = steps[steps.length - 1];
    c.mark('walked-end', last ? [...last.nodes, ...last.edges] : []);
    // Each key's edge says when the key was pressed (in the order pressed).
    const keys = [...(this.rec.keys || [])];
    for (const e of this.app.graph.edges) c.edgeNote(e.id, '');
    for (const id of all) {
      const e = this.app.graph.edges.find((x) => x.id === id);
      if (!e || e.key === undefined) continue;
      const i = keys.findIndex((k) => k.key === e.key);
      if (i >= 0) { c.edgeNote(e.id, secs(keys[i].at_ms)); keys.splice(i, 1); }
    }
  }

  // show reads call id's record, puts its IVR on the chart and lights it.
  async show(id, panel) {
    const app = this.app;
    let rec;
    try {
      rec = (await api.call('GET', '/calls/history/' + encodeURIComponent(id))).body;
    } catch (e) {
      app.status(e.status === 404 ? 'No call record with Call-ID ' + id + '.' : 'Call not loaded: ' + e.message, 'error');
      return;
    }
    const first = menusOf(rec.path)[0];
    if (!first) { app.status('Call ' + id + ' entered no menu: nothing to draw.', 'error'); return; }
    this.rec = null;
    app.asRan.clear();
    if (first !== app.root && app.cfg.ivrs.has(first)) await app.showRoot(first);
    const ran = await this.revisionAt(rec);
    this.rec = rec;
    app.redraw({fit: true}); // the whole path in view
    const steps = recordEvents(app.graph, rec).filter((e) => e.event !== 'answer');
    fill(panel, h('h2', {}, 'Call ', h('code', {}, id.length > 24 ? id.slice(0, 23) + '…' : id)),
      h('p', {}, rec.from + ' → ' + rec.to + ', ' + new Date(rec.invite_at).toLocaleString() + ' (' + rec.state + ')'),
      ran ? h('p', {class: 'muted', id: 'call-revision'}, ran) : null,
      h('ol', {class: 'list', id: 'call-steps', 'aria-label': 'What the call did'}, steps.map((e) => h('li', {}, secs(e.t_ms) + ' ' + said(e)))),
      h('p', {}, 'Result: ' + (rec.outcome ? [rec.outcome.kind, rec.outcome.detail].filter(Boolean).join(' ') : '') + (rec.end_reason ? ' (' + rec.end_reason + ')' : '')));
    app.status('The path of call ' + id + ' is lit on the chart.', 'ok');
  }

  // revisionAt finds, for each menu the call entered, the revision that
  // was live when the call came in; one changed since is drawn as it was
  // (app.asRan) until something is chosen for editing. It says so.
  async revisionAt(rec) {
    const app = this.app;
    const at = new Date(rec.invite_at).getTime();
    const said = [];
    for (const id of new Set(menusOf(rec.path))) {
      try {
        const list = (await api.call('GET', '/ivrs/' + encodeURIComponent(id) + '/revisions')).body;
        const ran = list.items.find((r) => r.published_at && new Date(r.published_at).getTime() <= at);
        if (!ran) continue;
        if (ran.live_version === list.live_version && !app.staged.has(id) && !app.drafts.has(id)) {
          said.push('Ran on revision ' + ran.n + ' of ' + id + ', the one live now.');
          continue;
        }
        app.asRan.set(id, (await api.call('GET', '/ivrs/' + encodeURIComponent(id) + '/revisions/' + ran.n)).body.body);
        said.push('Ran on revision ' + ran.n + ' of ' + id + ', changed since: the chart shows ' + id + ' as it was then.');
      } catch {
        // A menu deleted since, or no history: drawn as it is now.
      }
    }
    return said.join(' ');
  }

  // panel lists calls to choose from: in progress, and the IVR's latest.
  async panel(panel) {
    const app = this.app;
    const idIn = h('input', {id: 'call-id', type: 'text', spellcheck: 'false', placeholder: 'a SIP Call-ID'});
    const go = h('button', {type: 'submit', id: 'call-show'}, 'Show path');
    const form = h('form', {}, field('Call-ID', idIn), go);
    form.addEventListener('submit', (e) => { e.preventDefault(); if (idIn.value.trim()) this.show(idIn.value.trim(), panel); });
    const row = (c, label) => {
      const b = h('button', {type: 'button', 'aria-label': 'Show the path of call ' + c.call_id}, 'Show path');
      b.addEventListener('click', () => this.show(c.call_id, panel));
      return h('li', {'data-call': c.call_id}, h('span', {class: 'grow'}, label), b);
    };
    fill(panel, h('h2', {}, 'Calls'), form, h('p', {class: 'muted'}, 'Loading…'));
    let live = [], past = [];
    try {
      [live, past] = await Promise.all([
        api.call('GET', '/calls').then((r) => r.body.items).catch(() => []),
        api.call('GET', '/calls/history?limit=20' + (app.root ? '&ivr=' + encodeURIComponent(app.root) : '')).then((r) => r.body.items)]);
    } catch (e) {
      fill(panel, h('h2', {}, 'Calls'), form, h('p', {class: 'error'}, 'Call records not loaded: ' + e.message));
      return;
    }
    fill(panel, h('h2', {}, 'Calls'), form,
      h('h3', {}, 'In progress'), live.length ? h('ul', {class: 'list', id: 'live-calls'}, live.map((c) => row(c, c.from + ' → ' + c.to + ' · ' + (c.menu || c.state)))) : h('p', {class: 'muted'}, 'None.'),
      h('h3', {}, 'Latest' + (app.root ? ' of ' + app.root : '')),
      past.length ? h('ul', {class: 'list', id: 'call-records'}, past.map((c) => row(c, new Date(c.invite_at).toLocaleTimeString() + ' ' + c.from + ' → ' + c.to + ' · ' + menusOf(c.path).join(' › ')))) : h('p', {class: 'muted'}, 'No call recorded yet.'));
  }
}
