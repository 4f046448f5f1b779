// Simulate in the page: POST /api/v1/simulate (the engine `ivrd simulate`
// uses) and light the trace's path up on the chart step by step.

import * as api from './api.js';
import {h, fill, field} from './dom.js';

const STEP_MS = 450;

export class Simulator {
  constructor(app, el, chart) {
    this.app = app;
    this.el = el;
    this.chart = chart;
    this.events = [];
    this.steps = []; // per event: {nodes, edges} it lights up
    this.at = -1;
    this.timer = 0;
    this.build();
  }

  toggle() {
    this.el.hidden = !this.el.hidden;
    if (!this.el.hidden) this.el.querySelector('#sim-input').focus();
    else this.clear();
    return !this.el.hidden;
  }

  build() {
    this.input = h('input', {id: 'sim-input', type: 'text', size: 22, placeholder: '1, wait:3s, 2', spellcheck: 'false'});
    this.from = h('input', {id: 'sim-from', type: 'text', size: 12, placeholder: 'sim'});
    this.to = h('input', {id: 'sim-to', type: 'text', size: 8, placeholder: 'this IVR'});
    this.when = h('input', {id: 'sim-at', type: 'datetime-local'});
    this.fails = h('input', {id: 'sim-fails', type: 'checkbox'});
    const run = h('button', {type: 'submit', class: 'primary', id: 'sim-run'}, 'Run');
    this.stepBtn = h('button', {type: 'button', id: 'sim-step', disabled: true}, 'Step ▸');
    this.replayBtn = h('button', {type: 'button', id: 'sim-replay', disabled: true}, 'Replay');
    this.stepBtn.addEventListener('click', () => { this.stop(); this.go(this.at + 1); });
    this.replayBtn.addEventListener('click', () => this.animate());
    this.trace = h('ol', {class: 'trace', id: 'sim-trace', 'aria-label': 'Trace'});
    this.msg = h('span', {class: 'muted', role: 'status', id: 'sim-msg'});
    const form = h('form', {}, field('Keys and waits', this.input, 'keys 0-9 * #, wait:3s, commas between'),
      field('Caller', this.from), field('Number dialled', this.to), field('Time', this.when),
      h('label', {class: 'field'}, h('span', {class: 'muted'}, 'Hand-offs fail'), this.fails),
      run, this.stepBtn, this.replayBtn, this.msg);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.run(); });
    fill(this.el, form, this.trace);
  }

  async run() {
    const app = this.app;
    this.clear();
    app.status('');
    // Saved drafts run as the chart shows them; calls never get them.
    const body = {input: this.input.value, transfer_fails: this.fails.checked, drafts: app.staged.size > 0};
    if (this.to.value.trim()) body.to = this.to.value.trim(); else body.ivr = app.root;
    if (this.from.value.trim()) body.from = this.from.value.trim();
    if (this.when.value) body.at = new Date(this.when.value).toISOString().replace(/\.\d+Z$/, 'Z');
    if (app.drafts.size) this.msg.textContent = 'Note: the simulation runs the saved configuration and drafts, not unsaved edits (Save draft first). ';
    try {
      const r = await api.call('POST', '/simulate', {body});
      this.events = r.body.events;
    } catch (e) {
      this.msg.textContent = 'Simulation refused: ' + e.message;
      return;
    }
    this.steps = plan(app.graph, this.events);
    fill(this.trace, this.events.map((ev, i) => {
      const li = h('li', {tabindex: 0, 'data-step': i}, fmt(ev));
      li.addEventListener('click', () => { this.stop(); this.go(i); });
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.stop(); this.go(i); } });
      return li;
    }));
    this.stepBtn.disabled = false;
    this.replayBtn.disabled = false;
    this.animate();
  }

  // animate walks the trace one step per STEP_MS; the chart shows the
  // path so far and the current step.
  animate() {
    this.stop();
    this.el.classList.remove('sim-done');
    this.go(0);
    this.timer = setInterval(() => {
      if (this.at >= this.events.length - 1) { this.stop(); return; }
      this.go(this.at + 1);
    }, STEP_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    if (this.events.length && this.at >= this.events.length - 1) {
      this.el.classList.add('sim-done');
      this.msg.textContent = 'Done: ' + this.events.length + ' steps, ' + (this.events[this.events.length - 1].t_ms / 1000).toFixed(1) + ' s of call.';
    }
  }

  go(i) {
    if (i < 0 || i >= this.events.length) return;
    this.at = i;
    this.reapply();
    this.trace.querySelectorAll('li').forEach((li, j) => {
      li.classList.toggle('current', j === i);
      li.classList.toggle('past', j < i);
    });
    if (i >= this.events.length - 1) this.stop();
  }

  // reapply puts the marks back after the chart was drawn again.
  reapply() {
    if (this.at < 0) { this.chart.mark('visited', []); this.chart.mark('hl', []); return; }
    const seen = [];
    for (let j = 0; j <= this.at; j++) seen.push(...this.steps[j].nodes, ...this.steps[j].edges);
    this.chart.mark('visited', seen);
    this.chart.mark('hl', [...this.steps[this.at].nodes, ...this.steps[this.at].edges]);
  }

  clear() {
    this.stop();
    this.events = [];
    this.steps = [];
    this.at = -1;
    this.el.classList.remove('sim-done');
    if (this.trace) this.trace.replaceChildren();
    if (this.msg) this.msg.textContent = '';
    if (this.stepBtn) { this.stepBtn.disabled = true; this.replayBtn.disabled = true; }
    this.reapply();
  }
}

function fmt(ev) {
  const t = (ev.t_ms / 1000).toFixed(1).padStart(5) + 's ';
  switch (ev.event) {
    case 'answer': return t + 'answer → ' + ev.ivr;
    case 'enter': return t + 'enter menu ' + ev.ivr;
    case 'play': return t + 'play ' + ev.prompt;
    case 'stop': return t + 'stop ' + (ev.prompt || '');
    case 'digit': return t + 'key ' + ev.digit;
    case 'invalid': return t + 'invalid ' + (ev.digits || '(nothing)');
    case 'timeout': return t + 'no key in ' + ev.ivr;
    case 'closed': return t + 'closed: ' + (ev.detail || '') + ' (' + ev.ivr + ')';
    case 'failure': return t + 'failure in ' + ev.ivr;
    case 'transfer': return t + ev.method + ' → ' + (ev.dest ? ev.dest.target || ev.dest.type : '');
    case 'transfer_failed': return t + 'hand-off failed ' + (ev.detail || '');
    case 'hangup': return t + 'hang up' + (ev.reason ? ' (' + ev.reason + ')' : '');
  }
  return t + ev.event;
}

const bare = (u) => String(u || '').replace(/^sips?:/i, '');

// plan maps each event of a trace to the nodes and edges it lights up.
// The trace names menus, prompts and destinations, not keys: the edge
// taken is the one from where the call is that leads to what happened,
// preferring the key the caller pressed next (keys are consumed in the
// order they were pressed, as the executor does).
export function plan(graph, events) {
  const out = [];
  const from = (id) => graph.edges.filter((e) => e.from === id);
  let pos = 'entry';
  let menu = '';
  const queue = [];
  let lastTimeout = false;

  // move goes from pos along an edge to a node that satisfies ok.
  const move = (ok, {keysOnly} = {}) => {
    let cands = from(pos).filter((e) => ok(graph.nodes.get(e.to), e));
    if (keysOnly) cands = cands.filter((e) => e.type === 'key');
    if (!cands.length) return null;
    let e = cands.find((c) => c.key !== undefined && c.key === queue[0]);
    if (e) queue.shift();
    else e = cands.find((c) => c.type !== 'failure' && c.type !== 'timeout') || cands[0];
    pos = e.to;
    return e;
  };

  for (const ev of events) {
    const step = {nodes: [], edges: []};
    const lit = (e) => { if (e) { step.edges.push(e.id); step.nodes.push(e.to); } };
    switch (ev.event) {
      case 'answer':
        step.nodes.push('entry');
        break;
      case 'digit':
        queue.push(ev.digit);
        break;
      case 'enter': {
        const isMenu = (n) => n && n.ivr === ev.ivr && (n.type === 'menu' || n.type === 'gate' || n.type === 'missing');
        let e = move(isMenu);
        if (!e && pos.startsWith('menu:') && queue.length) e = move((n, x) => x.key === queue[0], {keysOnly: true}); // back, top
        lit(e);
        if (graph.nodes.get(pos) && graph.nodes.get(pos).type === 'gate') lit(move((n) => n.type === 'menu'));
        pos = 'menu:' + ev.ivr;
        menu = ev.ivr;
        if (!step.nodes.includes(pos)) step.nodes.push(pos);
        break;
      }
      case 'closed': {
        if (!pos.startsWith('gate:')) lit(move((n) => n && n.type === 'gate' && n.ivr === ev.ivr));
        const hol = String(ev.detail || '').startsWith('holiday');
        lit(move((n, e) => e.type === 'closed' && !!e.holiday === hol));
        break;
      }
      case 'invalid':
        for (let i = 0; i < (ev.digits || '').length; i++) queue.shift();
        step.nodes.push(pos);
        break;
      case 'timeout':
        lastTimeout = true;
        step.nodes.push(pos);
        break;
      case 'failure': {
        pos = 'menu:' + ev.ivr;
        lit(move((n, e) => e.type === (lastTimeout ? 'timeout' : 'failure')));
        break;
      }
      case 'play': {
        const n = graph.nodes.get(pos);
        if (n && (n.type === 'menu' || n.type === 'play' || n.type === 'closed')) {
          const viaKey = n.type === 'menu' ? from(pos).find((e) => e.key !== undefined && e.key === queue[0] && graph.nodes.get(e.to).type === 'play' && graph.nodes.get(e.to).prompt === ev.prompt) : null;
          if (viaKey) { queue.shift(); pos = viaKey.to; lit(viaKey); break; }
        }
        step.nodes.push(pos);
        break;
      }
      case 'transfer': {
        const t = ev.dest || {};
        const same = (n) => n && n.type === 'handoff' && n.kind === t.type &&
          (t.type === 'external' ? n.trunk === t.trunk : bare(n.target) === bare(t.target));
        let e = move(same);
        if (!e) { // after a failed hand-off the call went back to its menu
          const back = pos;
          pos = 'menu:' + menu;
          e = move(same);
          if (!e) pos = back;
        }
        lit(e);
        break;
      }
      case 'transfer_failed': {
        step.nodes.push(pos);
        const over = from(pos).find((e) => e.type === 'overflow');
        if (!over) pos = 'menu:' + menu;
        break;
      }
      case 'hangup': {
        const e = move((n) => n && n.type === 'end' && n.kind === 'hangup');
        if (e) lit(e); else step.nodes.push(pos);
        break;
      }
      default:
        step.nodes.push(pos);
    }
    if (ev.event !== 'timeout') lastTimeout = ev.event === 'play' ? lastTimeout : false;
    out.push(step);
  }
  return out;
}

