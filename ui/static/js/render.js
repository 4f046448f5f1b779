// The flowchart: dagre lays the graph out, this draws it as SVG and gives
// it zoom, pan and fit. Nodes and edges are focusable buttons (Tab, Enter,
// Space); what they do when chosen is the caller's (onSelect).

import dagre from '../vendor/dagre/dagre.esm.js';
import {s, activate} from './dom.js';

const CHAR = 6.6; // average width of a 12px sans-serif character
const LINE = 15;
const MAXCH = 38;

function clip(t) { return t.length > MAXCH ? t.slice(0, MAXCH - 1) + '…' : t; }

function nodeSize(n) {
  const widest = Math.max(n.title.length * 1.1, ...n.lines.map((l) => clip(l).length));
  const w = Math.max(n.type === 'end' ? 90 : 130, Math.min(290, Math.ceil(widest * CHAR) + 24));
  const h = 26 + n.lines.length * LINE + (n.lines.length ? 6 : 0);
  return {w, h};
}

// Chart owns one SVG element and what is drawn in it.
export class Chart {
  constructor(svg, onSelect) {
    this.svg = svg;
    this.onSelect = onSelect;
    this.view = {k: 1, x: 0, y: 0};
    this.els = new Map(); // node or edge id -> <g>
    this.rankdir = 'auto'; // or TB, LR
    this.saved = new Map(); // node id -> {x, y}: the IVR's saved layout (empty: dagre's)
    this.pos = new Map(); // node id -> {x, y, width, height} as drawn
    this.origin = {x: 0, y: 0}; // the drawing's top left corner
    this.installPanZoom();
  }

  // layout runs dagre on graph in one direction.
  layout(graph, dir) {
    const g = new dagre.graphlib.Graph({multigraph: true});
    g.setGraph({rankdir: dir, nodesep: 28, ranksep: dir === 'LR' ? 70 : 56, edgesep: 14, marginx: 24, marginy: 24});
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of graph.nodes.values()) {
      const {w, h} = nodeSize(n);
      g.setNode(n.id, {width: w, height: h});
    }
    for (const e of graph.edges) {
      const lw = e.label ? Math.ceil(e.label.length * 7) + 14 : 0;
      g.setEdge(e.from, e.to, {width: lw, height: e.label ? 18 : 0, labelpos: 'c'}, e.id);
    }
    dagre.layout(g);
    return g;
  }

  // fitScale is the zoom at which a layout of size fits the canvas.
  fitScale(size) {
    const r = this.svg.getBoundingClientRect();
    if (!r.width || !size.w || !size.h) return 1;
    return Math.min(r.width / size.w, r.height / size.h) * 0.96;
  }

  // draw lays out and draws graph; the view is kept unless fit is asked.
  // With rankdir 'auto' the direction that fits the canvas at the larger
  // scale wins: a wide menu reads better left to right, a deep one top
  // down.
  draw(graph, {fit} = {}) {
    this.graph = graph;
    let best = null;
    // A redraw after an edit keeps the direction chosen when the chart
    // was first fitted: it does not flip while someone edits, and one
    // layout costs half of two on a large chart.
    const dirs = this.rankdir !== 'auto' ? [this.rankdir] : !fit && this.dir ? [this.dir] : ['TB', 'LR'];
    for (const dir of dirs) {
      const lg = this.layout(graph, dir);
      // An empty graph has no finite size: call it 0 so nothing divides by it.
      const fin = (x) => (Number.isFinite(x) && x > 0 ? x : 0);
      const size = {w: fin(lg.graph().width), h: fin(lg.graph().height)};
      const k = this.fitScale(size);
      if (!best || k > best.k * 1.05) best = {g: lg, size, k, dir};
    }
    const g = best.g;
    this.dir = best.dir;
    this.size = best.size;
    this.origin = {x: 0, y: 0};
    // A saved layout puts its boxes where they were left; a box it does
    // not know (a key added since) keeps dagre's place.
    this.pos.clear();
    const moved = new Set();
    for (const n of graph.nodes.values()) {
      const gp = g.node(n.id);
      const sp = this.saved.get(n.id);
      this.pos.set(n.id, sp ? {x: sp.x, y: sp.y, width: gp.width, height: gp.height} : {x: gp.x, y: gp.y, width: gp.width, height: gp.height});
      if (sp && (Math.abs(sp.x - gp.x) > 0.5 || Math.abs(sp.y - gp.y) > 0.5)) moved.add(n.id);
    }
    if (moved.size) this.bounds();
    this.entry = this.pos.get('entry');

    const vp = s('g', {class: 'viewport'});
    const edgeLayer = s('g', {class: 'edges'});
    const labelLayer = s('g', {class: 'labels'});
    const nodeLayer = s('g', {class: 'nodes'});
    vp.append(edgeLayer, nodeLayer, labelLayer);
    this.els.clear();
    for (const e of graph.edges) {
      const pos = moved.has(e.from) || moved.has(e.to) ? this.route(e) : g.edge({v: e.from, w: e.to, name: e.id});
      const el = this.drawEdge(e, pos);
      edgeLayer.append(el.path);
      if (el.label) labelLayer.append(el.label);
    }
    for (const n of graph.nodes.values()) nodeLayer.append(this.drawNode(n, this.pos.get(n.id)));
    this.svg.querySelector('.viewport')?.remove();
    this.svg.append(vp);
    this.vp = vp;
    if (fit) this.home(); else this.apply();
  }

  drawNode(n, pos) {
    const w = pos.width, hgt = pos.height;
    const label = n.title + (n.lines.length ? ': ' + n.lines.join('; ') : '');
    // Its name is its <title> (the whole text, lines not cut), not an
    // aria-label: a screen reader says what is shown, and more.
    const el = s('g', {class: 'node t-' + n.type + (n.kind ? ' k-' + n.kind : ''), tabindex: 0, role: 'button',
      'data-id': n.id, 'data-path': n.path || '', 'data-ivr': n.ivr || '',
      transform: `translate(${pos.x - w / 2},${pos.y - hgt / 2})`});
    const rx = n.type === 'end' ? hgt / 2 : n.type === 'gate' ? 2 : 8;
    el.append(s('title', {}, label));
    el.append(s('rect', {class: 'box', width: w, height: hgt, rx}));
    el.append(s('text', {class: 'title', x: 10, y: 18}, clip(n.title)));
    n.lines.forEach((l, i) => el.append(s('text', {class: 'line', x: 10, y: 36 + i * LINE}, clip(l))));
    el.append(s('g', {class: 'badges', transform: `translate(${w - 4},-8)`}));
    activate(el, () => this.onSelect({node: n.id}));
    this.els.set(n.id, el);
    return el;
  }

  drawEdge(e, pos) {
    const pts = pos.points || [];
    const d = smooth(pts);
    const title = (e.label ? e.label + ': ' : '') + e.type + ' ' + this.graph.nodes.get(e.from).title + ' → ' + this.graph.nodes.get(e.to).title;
    const path = s('g', {class: 'edge t-' + e.type, 'data-id': e.id, 'data-path': e.path || '', 'data-key': e.key || '', 'data-to': e.to},
      s('path', {class: 'hit', d}),
      s('path', {class: 'line', d, 'marker-end': 'url(#arrow-' + e.type + ')'}));
    let label = null;
    if (e.label) {
      const w = Math.ceil(e.label.length * 7) + 12;
      label = s('g', {class: 'elabel t-' + e.type, tabindex: 0, role: 'button', 'aria-label': title, 'data-edge': e.id,
        'data-key': e.key || '', 'data-path': e.path || '', transform: `translate(${pos.x - w / 2},${pos.y - 9})`},
      s('title', {}, title),
      s('rect', {width: w, height: 18, rx: 9}),
      s('text', {x: w / 2, y: 13, 'text-anchor': 'middle'}, e.label));
      activate(label, () => this.onSelect({edge: e.id}));
    }
    path.addEventListener('click', () => this.onSelect({edge: e.id}));
    this.els.set(e.id, path);
    if (label) this.els.set(e.id + ':label', label);
    return {path, label};
  }

  // bounds sizes the drawing to its boxes (moved boxes may leave dagre's).
  bounds() {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const p of this.pos.values()) {
      x0 = Math.min(x0, p.x - p.width / 2); y0 = Math.min(y0, p.y - p.height / 2);
      x1 = Math.max(x1, p.x + p.width / 2); y1 = Math.max(y1, p.y + p.height / 2);
    }
    if (!Number.isFinite(x0)) return;
    this.origin = {x: x0 - 24, y: y0 - 24};
    this.size = {w: x1 - x0 + 48, h: y1 - y0 + 48};
  }

  // route is an edge between two boxes that are not where dagre put
  // them: a curve from border to border, parallel edges bowed apart.
  route(e) {
    const a = this.pos.get(e.from), b = this.pos.get(e.to);
    const twins = this.graph.edges.filter((x) => (x.from === e.from && x.to === e.to) || (x.from === e.to && x.to === e.from));
    const off = (twins.indexOf(e) - (twins.length - 1) / 2) * 28;
    const p = border(a, b), q = border(b, a);
    const len = Math.hypot(q.x - p.x, q.y - p.y) || 1;
    const c = {x: (p.x + q.x) / 2 - (q.y - p.y) / len * off, y: (p.y + q.y) / 2 + (q.x - p.x) / len * off};
    return {points: [p, c, q], x: 0.25 * p.x + 0.5 * c.x + 0.25 * q.x, y: 0.25 * p.y + 0.5 * c.y + 0.25 * q.y};
  }

  // moveNode puts a box's centre at x, y and re-routes its edges.
  moveNode(id, x, y) {
    const p = this.pos.get(id);
    const el = this.els.get(id);
    if (!p || !el) return;
    p.x = Math.round(x); p.y = Math.round(y); // as saved: a reload draws it at the same place
    x = p.x; y = p.y;
    el.setAttribute('transform', `translate(${x - p.width / 2},${y - p.height / 2})`);
    for (const e of this.graph.edges) {
      if (e.from !== id && e.to !== id) continue;
      const r = this.route(e);
      const d = smooth(r.points);
      this.els.get(e.id)?.querySelectorAll('path').forEach((path) => path.setAttribute('d', d));
      const label = this.els.get(e.id + ':label');
      if (label) {
        const w = Number(label.querySelector('rect').getAttribute('width'));
        label.setAttribute('transform', `translate(${r.x - w / 2},${r.y - 9})`);
      }
    }
  }

  // positions is every box's centre, to save as the IVR's layout.
  positions() {
    const out = {};
    for (const [id, p] of this.pos) out[id] = {x: Math.round(p.x), y: Math.round(p.y)};
    return out;
  }

  // mark sets a class on the elements of the given node and edge ids,
  // taking it off every other.
  mark(cls, ids) {
    const want = new Set();
    for (const id of ids) {
      for (const k of [id, id + ':label']) if (this.els.has(k)) want.add(this.els.get(k));
    }
    this.svg.querySelectorAll('.' + cls).forEach((el) => { if (!want.has(el)) el.classList.remove(cls); });
    want.forEach((el) => el.classList.add(cls));
  }

  // badge puts a small text tag (validation, live figures) on a node.
  badge(nodeId, group, text, title) {
    const el = this.els.get(nodeId);
    if (!el) return;
    const b = el.querySelector('.badges');
    b.querySelectorAll('.b-' + group).forEach((x) => x.remove());
    if (!text) return;
    const n = b.children.length;
    const w = Math.ceil(text.length * 6.6) + 10;
    b.append(s('g', {class: 'badge b-' + group, transform: `translate(${-w - n * 4},${n * 20})`},
      s('title', {}, title || text), s('rect', {width: w, height: 17, rx: 8}), s('text', {x: w / 2, y: 12.5, 'text-anchor': 'middle'}, text)));
  }

  // edgeNote appends a live figure to an edge's label (a key's share).
  edgeNote(edgeId, text) {
    const el = this.els.get(edgeId + ':label');
    if (!el) return;
    el.querySelectorAll('.note').forEach((x) => x.remove());
    if (!text) return;
    const w = Number(el.querySelector('rect').getAttribute('width'));
    el.append(s('text', {class: 'note', x: w + 3, y: 13}, text));
  }

  // focus puts the keyboard on a node (box: the box itself) or an
  // edge's bubble.
  focus(id, {box} = {}) {
    const el = (box ? null : this.els.get(id + ':label')) || this.els.get(id);
    if (el && el.focus) el.focus({preventScroll: true});
  }

  // reveal pans so that a node is inside the canvas.
  reveal(id) {
    const p = this.pos.get(id);
    const r = this.svg.getBoundingClientRect();
    if (!p || !r.width) return;
    const k = this.view.k;
    const sx = this.view.x + p.x * k, sy = this.view.y + p.y * k;
    const mx = (p.width / 2) * k + 20, my = (p.height / 2) * k + 20;
    if (sx < mx) this.view.x += mx - sx; else if (sx > r.width - mx) this.view.x -= sx - (r.width - mx);
    if (sy < my) this.view.y += my - sy; else if (sy > r.height - my) this.view.y -= sy - (r.height - my);
    this.apply();
  }

  // --- zoom, pan, fit ---

  apply() {
    if (this.vp) this.vp.setAttribute('transform', `translate(${this.view.x},${this.view.y}) scale(${this.view.k})`);
  }

  // fit shows the whole graph, however small that makes it.
  fit() {
    const r = this.svg.getBoundingClientRect();
    if (!this.size || !r.width || !this.size.w || !this.size.h) return;
    const k = Math.min(1.4, Math.max(0.05, this.fitScale(this.size)));
    const o = this.origin;
    this.view = {k, x: (r.width - this.size.w * k) / 2 - o.x * k, y: Math.max(0, (r.height - this.size.h * k) / 2) - o.y * k};
    this.apply();
  }

  // home is the first view of a graph: all of it when that stays
  // readable, else a readable scale with the call's entry in view (the
  // rest is a pan or a Fit away).
  home() {
    const READABLE = 0.6;
    const r = this.svg.getBoundingClientRect();
    if (!this.size || !r.width || this.fitScale(this.size) >= READABLE || !this.entry) return this.fit();
    const k = READABLE;
    const e = this.entry;
    const o = this.origin;
    this.view = this.dir === 'LR' ? {k, x: 16 - o.x * k, y: r.height / 2 - e.y * k} : {k, x: r.width / 2 - e.x * k, y: 16 - o.y * k};
    this.apply();
  }

  zoom(factor, cx, cy) {
    const r = this.svg.getBoundingClientRect();
    if (cx === undefined) { cx = r.width / 2; cy = r.height / 2; }
    const k = Math.min(4, Math.max(0.1, this.view.k * factor));
    const f = k / this.view.k;
    this.view = {k, x: cx - (cx - this.view.x) * f, y: cy - (cy - this.view.y) * f};
    this.apply();
  }

  pan(dx, dy) { this.view.x += dx; this.view.y += dy; this.apply(); }

  installPanZoom() {
    const svg = this.svg;
    svg.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      this.zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, {passive: false});
    let drag = null;
    svg.addEventListener('pointerdown', (e) => {
      if (e.target.closest('.node, .elabel, .edge')) return;
      drag = {x: e.clientX, y: e.clientY, id: e.pointerId};
      svg.setPointerCapture(e.pointerId);
      svg.classList.add('panning');
    });
    svg.addEventListener('pointermove', (e) => {
      if (!drag || e.pointerId !== drag.id) return;
      this.pan(e.clientX - drag.x, e.clientY - drag.y);
      drag.x = e.clientX; drag.y = e.clientY;
    });
    const end = () => { drag = null; svg.classList.remove('panning'); };
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
    // The canvas itself takes the keyboard: arrows pan, + and - zoom, 0 fits.
    svg.addEventListener('keydown', (e) => {
      if (e.target !== svg) return;
      const step = 60;
      const acts = {ArrowLeft: () => this.pan(step, 0), ArrowRight: () => this.pan(-step, 0), ArrowUp: () => this.pan(0, step),
        ArrowDown: () => this.pan(0, -step), '+': () => this.zoom(1.2), '=': () => this.zoom(1.2), '-': () => this.zoom(1 / 1.2), 0: () => this.fit(), Home: () => this.home()};
      if (acts[e.key]) { e.preventDefault(); acts[e.key](); }
    });
  }
}

// border is where the line from box a's centre towards b's leaves a.
function border(a, b) {
  const dx = b.x - a.x, dy = b.y - a.y;
  if (!dx && !dy) return {x: a.x, y: a.y};
  const t = Math.min(dx ? a.width / 2 / Math.abs(dx) : Infinity, dy ? a.height / 2 / Math.abs(dy) : Infinity);
  return {x: a.x + dx * t, y: a.y + dy * t};
}

// smooth draws dagre's points as one curve through their midpoints.
function smooth(p) {
  if (!p.length) return '';
  if (p.length < 3) return 'M' + p.map((q) => q.x + ',' + q.y).join('L');
  let d = `M${p[0].x},${p[0].y}`;
  for (let i = 1; i < p.length - 1; i++) {
    const mx = (p[i].x + p[i + 1].x) / 2, my = (p[i].y + p[i + 1].y) / 2;
    d += `Q${p[i].x},${p[i].y} ${i === p.length - 2 ? p[i + 1].x : mx},${i === p.length - 2 ? p[i + 1].y : my}`;
  }
  return d;
}

// markers are the arrowheads, one colour per edge type (CSS colours the
// lines; a marker does not inherit the stroke).
export function markers() {
  const types = ['entry', 'key', 'failure', 'timeout', 'overflow', 'then', 'open', 'closed'];
  return s('defs', {}, types.map((t) => s('marker', {id: 'arrow-' + t, class: 'm-' + t, viewBox: '0 0 10 10', refX: 9, refY: 5,
    markerUnits: 'userSpaceOnUse', markerWidth: 11, markerHeight: 11, orient: 'auto-start-reverse'}, s('path', {d: 'M0,0L10,5L0,10z'}))));
}
