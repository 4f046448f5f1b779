// The live overlay: calls in progress per menu (GET /api/v1/calls) and,
// for a chosen period, each key's share, drop-outs per menu and hand-off
// success per destination (GET /api/v1/ivrs/{id}/stats). A server
// without those endpoints (404) or without calls (503) gets a note, not
// an error: the rest of the page works the same.

import * as api from './api.js';
import {h} from './dom.js';

const POLL_MS = 3000;
const PERIODS = [['1h', 'last hour', 3600e3], ['24h', 'last 24 hours', 86400e3], ['7d', 'last 7 days', 7 * 86400e3]];

const pct = (x) => Math.round((x || 0) * 100) + '%';

export class Overlay {
  constructor(app, chart) {
    this.app = app;
    this.chart = chart;
    this.on = false;
    this.timer = 0;
    this.calls = null; // [LiveCall] or null when unavailable
    this.stats = null;
    this.notes = {};
    this.period = h('select', {id: 'live-period', 'aria-label': 'Period of the figures'}, PERIODS.map(([v, l]) => h('option', {value: v}, l)));
    this.period.value = '24h';
    this.period.addEventListener('change', () => this.poll());
    this.note = h('span', {id: 'live-note', class: 'muted', role: 'status'});
    this.box = h('div', {class: 'live-box', id: 'live-box', hidden: true}, h('strong', {}, 'Live '), this.period, ' ', this.note);
    document.querySelector('.canvas').append(this.box);
  }

  toggle() {
    this.on = !this.on;
    this.box.hidden = !this.on;
    if (this.on) {
      this.poll();
      this.timer = setInterval(() => this.poll(), POLL_MS);
    } else {
      this.stop();
    }
    return this.on;
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    this.on = false;
    this.box.hidden = true;
    this.calls = null;
    this.stats = null;
    this.reapply();
  }

  async poll() {
    const app = this.app;
    if (!this.on || !app.root) return;
    const [, , ms] = PERIODS.find((p) => p[0] === this.period.value);
    const now = new Date();
    const q = '?from=' + new Date(now - ms).toISOString() + '&to=' + now.toISOString();
    const [calls, stats] = await Promise.all([
      api.call('GET', '/calls').then((r) => r.body.items, (e) => this.unavailable('calls', e)),
      api.call('GET', '/ivrs/' + encodeURIComponent(app.root) + '/stats' + q).then((r) => r.body, (e) => this.unavailable('stats', e)),
    ]);
    if (!this.on) return;
    this.calls = calls;
    this.stats = stats;
    if (calls) delete this.notes.calls;
    if (stats) delete this.notes.stats;
    const notes = Object.values(this.notes);
    const shares = (stats && stats.keys || []).map((k) => k.key + ' ' + pct(k.share)).join(' · ');
    this.note.textContent = notes.length ? notes.join(' ') :
      (calls.length + ' call' + (calls.length === 1 ? '' : 's') + ' now · ' + stats.calls + ' in the period' +
        (shares ? ' · keys pressed: ' + shares : ''));
    this.reapply();
  }

  unavailable(what, e) {
    const name = what === 'calls' ? 'calls in progress' : 'statistics';
    if (e.status === 404) this.notes[what] = 'No ' + name + ' from this server (the API has no such endpoint).';
    else if (e.status === 503) this.notes[what] = 'No ' + name + ': this server runs no calls.';
    else this.notes[what] = 'No ' + name + ': ' + e.message;
    return null;
  }

  // reapply draws the figures on the chart (again, after a redraw).
  reapply() {
    const g = this.app.graph;
    if (!g) return;
    const inMenu = new Map();
    for (const c of this.calls || []) if (c.menu) inMenu.set(c.menu, (inMenu.get(c.menu) || 0) + 1);
    const menus = new Map(((this.stats && this.stats.menus) || []).map((m) => [m.menu, m]));
    const keys = new Map(((this.stats && this.stats.keys) || []).map((k) => [k.key, k]));
    const dests = new Map(((this.stats && this.stats.transfers) || []).map((t) => [t.dest, t]));
    for (const n of g.nodes.values()) {
      if (n.type === 'menu') {
        const live = inMenu.get(n.ivr);
        this.chart.badge(n.id, 'live', this.calls && live ? '☎ ' + live : '', live + ' call(s) in this menu now');
        const m = menus.get(n.ivr);
        this.chart.badge(n.id, 'drop', m && m.entered ? 'drop ' + pct(m.abandon_rate) : '',
          m ? m.abandoned + ' of ' + m.entered + ' callers hung up in this menu' : '');
      }
      if (n.type === 'handoff') {
        const t = dests.get(n.kind + ' ' + n.target) || dests.get(n.kind + ' ' + n.target + ' via ' + n.trunk);
        this.chart.badge(n.id, 'live', t ? '✓ ' + pct(t.success_rate) + ' of ' + t.tried : '', t ? t.succeeded + ' of ' + t.tried + ' hand-offs succeeded' : '');
      }
    }
    // The stats count the keys pressed in calls to this IVR, in whichever
    // menu: a key's share goes on an edge only where the key is no other
    // menu's in this chart, so a figure is never put on the wrong menu.
    // The live box lists them all.
    const owners = new Map();
    for (const e of g.edges) if (e.type === 'key' && e.key !== undefined) owners.set(e.key, (owners.get(e.key) || 0) + 1);
    for (const e of g.edges) {
      if (e.type !== 'key' || e.key === undefined) continue;
      const k = owners.get(e.key) === 1 ? keys.get(e.key) : null;
      this.chart.edgeNote(e.id, k ? pct(k.share) : '');
    }
  }
}
