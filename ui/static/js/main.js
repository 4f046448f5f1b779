// The page: login, loading the configuration, the IVR picker and the
// wiring between the flowchart, the side panel, the simulation and the
// live overlay.

import * as api from './api.js';
import {h, fill} from './dom.js';
import {buildGraph, entryIVRs, owners} from './model.js';
import {Chart, markers} from './render.js';
import {Editor} from './editor.js';
import {Simulator} from './simulate.js';
import {Overlay} from './overlay.js';
import {loadSchema} from './schema.js';
import {newIVRForm} from './ivrs.js';
import {installDrag} from './drag.js';
import {installKeyboard} from './keyboard.js';
import {CallPath} from './callpath.js';
import {Phone} from './phone.js';
import {QueuesView} from './queues.js';

const $ = (id) => document.getElementById(id);

// app is the state the parts share.
const app = {
  who: null, // {name, scope}
  cfg: {ivrs: new Map(), schedules: new Map(), trunks: new Map(), extensions: new Map(), groups: new Map(), boxes: new Map()},
  schema: null, // the destination kinds and fields (schema.js)
  prompts: [],
  drafts: new Map(), // ivr id -> edited copy not yet saved
  asRan: new Map(), // ivr id -> an older revision's body, shown while a call's path is on the chart
  staged: new Map(), // ivr id -> the server's draft of it {revision, base_version, ivr, who, at}: saved, not yet published
  problems: [], // the last 422's problems
  root: '',
  graph: null,
  selected: null,
  get canWrite() { return this.who && this.who.scope === 'write'; },
};

let chart, editor, sim, overlay, calls;

// saved is the menu as stored: its saved draft when there is one,
// else the live one; ivr is the menu as shown (unsaved edits first).
app.saved = (id) => (app.staged.get(id) || {}).ivr || app.cfg.ivrs.get(id);
app.ivr = (id) => app.drafts.get(id) || app.saved(id);

// shownConfig is the configuration with the drafts in place.
app.shownConfig = () => {
  const ivrs = new Map(app.cfg.ivrs);
  for (const [id, d] of app.staged) if (ivrs.has(id)) ivrs.set(id, d.ivr);
  for (const [id, d] of app.drafts) ivrs.set(id, d);
  // A call's path is drawn on the menu as it was when the call ran.
  for (const [id, body] of app.asRan) ivrs.set(id, body);
  return {...app.cfg, ivrs};
};

app.chartFocus = (id) => chart.focus(id, {box: true});

app.status = (msg, kind) => {
  const el = $('status');
  el.className = kind || '';
  el.textContent = msg || '';
};

// redraw lays the graph out again (after an edit) and puts the marks back.
app.redraw = ({fit} = {}) => {
  // No IVR yet: an empty chart, not an "unknown menu".
  app.graph = app.root ? buildGraph(app.shownConfig(), app.root) : {nodes: new Map(), edges: [], root: ''};
  chart.draw(app.graph, {fit});
  app.showProblems(app.problems);
  app.showDraftBadges();
  markSelected(app.selected);
  sim.reapply();
  overlay.reapply();
  calls.reapply();
};

// showRoot puts another IVR on the chart (a call's path starts there).
app.showRoot = async (id) => {
  app.root = id;
  $('ivr-pick').value = id;
  app.selected = null;
  sim.clear();
  await app.loadLayout();
  app.redraw({fit: true});
};

app.showProblems = (problems) => {
  app.problems = problems || [];
  const nodes = new Map();
  const edges = [];
  for (const p of app.problems) {
    const o = owners(app.graph, p.path);
    edges.push(...o.edges);
    for (const n of o.nodes) nodes.set(n, (nodes.get(n) || []).concat(p));
  }
  chart.mark('problem', [...nodes.keys(), ...edges]);
  for (const n of app.graph.nodes.keys()) {
    const ps = nodes.get(n);
    chart.badge(n, 'problem', ps ? '⚠ ' + ps.length : '', ps ? ps.map((p) => p.path + ': ' + p.message).join('\n') : '');
  }
};

// showDraftBadges marks the menus whose saved draft differs from what
// calls get.
app.showDraftBadges = () => {
  for (const n of app.graph.nodes.values()) {
    if (n.type !== 'menu') continue;
    const d = app.staged.get(n.ivr);
    chart.badge(n.id, 'draft', d ? '✎ draft' : '', d ? 'Draft (revision ' + d.revision + ') not published: calls get the live version' : '');
  }
};

function markSelected(sel) {
  chart.mark('selected', sel ? [sel.node || sel.edge].filter(Boolean) : []);
}

app.select = (sel) => {
  // Choosing something to edit goes back to the menus as they are now.
  if (app.asRan.size) calls.clear();
  app.selected = sel;
  markSelected(sel);
  editor.show(sel);
};

app.reload = async () => {
  const [ivrs, schedules, trunks, extensions, groups, boxes, staged] = await Promise.all(
    ['ivrs', 'schedules', 'trunks', 'extensions', 'groups', 'voicemail_boxes', 'ivr_drafts'].map(api.list));
  app.staged = new Map(staged.map((d) => [d.ivr.id, d]));
  app.cfg = {
    ivrs: new Map(ivrs.map((x) => [x.id, x])),
    schedules: new Map(schedules.map((x) => [x.id, x])),
    trunks: new Map(trunks.map((x) => [x.name, x])),
    extensions: new Map(extensions.map((x) => [x.number, x])),
    groups: new Map(groups.map((x) => [x.id, x])),
    boxes: new Map(boxes.map((x) => [x.box, x])),
  };
  if (!app.schema) app.schema = await loadSchema();
  await app.reloadPrompts();
};

app.reloadPrompts = async () => {
  app.prompts = (await api.call('GET', '/prompts')).body.items.map((p) => p.name).sort();
};

// loadLayout reads the saved layout of the IVR on the chart (none: the
// chart lays itself out).
app.loadLayout = async () => {
  chart.saved = new Map();
  if (!app.root) return;
  try {
    const r = await api.call('GET', '/ivrs/' + encodeURIComponent(app.root) + '/layout');
    chart.saved = new Map(Object.entries(r.body.positions));
  } catch (e) {
    app.status('Layout not loaded (laid out automatically): ' + e.message, 'error');
  }
  $('btn-auto-layout').disabled = !chart.saved.size;
};

// saveLayout keeps where the boxes are (moved by hand) with the IVR.
async function saveLayout(positions) {
  chart.saved = new Map(Object.entries(positions));
  $('btn-auto-layout').disabled = false;
  if (!app.canWrite) { app.status('Layout changed on this page only (this token can read only).'); return; }
  try {
    await api.call('PUT', '/ivrs/' + encodeURIComponent(app.root) + '/layout', {body: {positions}});
    app.status('Layout of ' + app.root + ' saved.', 'ok');
  } catch (e) {
    app.status('Layout not saved: ' + e.message, 'error');
  }
}

async function autoLayout() {
  chart.saved = new Map();
  $('btn-auto-layout').disabled = true;
  app.redraw({fit: true});
  if (!app.canWrite) return;
  try {
    await api.call('PUT', '/ivrs/' + encodeURIComponent(app.root) + '/layout', {body: {positions: {}}});
    app.status('Laid out automatically again.', 'ok');
  } catch (e) {
    app.status('Layout not saved: ' + e.message, 'error');
  }
}

function fillPicker() {
  const pick = $('ivr-pick');
  const entries = entryIVRs(app.cfg).map((m) => m.id);
  const others = [...app.cfg.ivrs.keys()].filter((id) => !entries.includes(id));
  fill(pick,
    h('optgroup', {label: 'Dialled'}, entries.map((id) => h('option', {value: id}, id + (app.cfg.ivrs.get(id).name && app.cfg.ivrs.get(id).name !== id ? ' — ' + app.cfg.ivrs.get(id).name : '')))),
    others.length ? h('optgroup', {label: 'Submenus'}, others.map((id) => h('option', {value: id}, id))) : null);
  if (!app.cfg.ivrs.has(app.root)) app.root = entries[0] || others[0] || '';
  pick.value = app.root;
}

// refresh reads the configuration again after a create or delete and
// shows root (when given) on the chart.
app.refresh = async (root) => {
  await app.reload();
  for (const id of [...app.drafts.keys()]) if (!app.cfg.ivrs.has(id)) app.drafts.delete(id);
  if (root) app.root = root;
  fillPicker();
  app.selected = null;
  sim.clear();
  await app.loadLayout();
  app.redraw({fit: true});
};

async function start() {
  $('login').hidden = true;
  $('app').hidden = false;
  document.body.classList.toggle('readonly', !app.canWrite);
  $('who').textContent = app.who.name + ' (' + (app.canWrite ? 'can edit' : 'read only') + ')';
  await app.reload();
  fillPicker();
  await app.loadLayout();
  app.redraw({fit: true});
  // For the paint benchmark (node/ui_bench_test.go): the chart is in the
  // page and answers clicks; the frame after it is on the screen.
  performance.mark('ivrd-chart');
  requestAnimationFrame(() => setTimeout(() => performance.mark('ivrd-chart-painted')));
  if (!app.root) app.status('No IVR yet.' + (app.canWrite ? ' Press "New IVR" to create one from a template.' : ''));
  editor.show(null);
}

function showLogin(msg) {
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = msg || '';
  $('token').focus();
}

async function login(tok) {
  try {
    app.who = (await api.call('GET', '/whoami', {tok})).body;
  } catch (e) {
    api.clearToken();
    showLogin(e.status === 401 ? 'That token is not valid.' : e.status === 429 ? 'Too many failed attempts; wait a minute.' : 'Sign-in failed: ' + e.message);
    return;
  }
  api.setToken(tok);
  try {
    await start();
  } catch (e) {
    app.status('Loading failed: ' + e.message, 'error');
  }
}

function wire() {
  const svg = $('chart');
  svg.append(markers());
  chart = new Chart(svg, (sel) => app.select(sel));
  editor = new Editor(app, $('panel'));
  sim = new Simulator(app, $('sim'), chart);
  overlay = new Overlay(app, chart);
  calls = new CallPath(app, chart);
  const phone = new Phone(app, $('phone'), $('btn-call'));
  const queues = new QueuesView(app);
  api.whenUnauthorized(() => showLogin('The token stopped working (revoked?). Sign in again.'));

  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    login($('token').value.trim());
  });
  $('btn-logout').addEventListener('click', () => {
    api.clearToken();
    overlay.stop();
    queues.stop();
    app.drafts.clear();
    app.staged.clear();
    app.who = null;
    showLogin('');
  });
  $('ivr-pick').addEventListener('change', async (e) => {
    app.root = e.target.value;
    app.selected = null;
    sim.clear();
    await app.loadLayout();
    app.redraw({fit: true});
    editor.show(null);
  });
  $('btn-fit').addEventListener('click', () => chart.fit());
  $('btn-auto-layout').addEventListener('click', autoLayout);
  installDrag(chart, {onMoved: saveLayout, onConnect: (c) => editor.connect(c)});
  installKeyboard(chart, {onDelete: (sel) => editor.remove(sel)});
  $('btn-zoom-in').addEventListener('click', () => chart.zoom(1.25));
  $('btn-zoom-out').addEventListener('click', () => chart.zoom(0.8));
  $('btn-dir').addEventListener('click', (e) => {
    const next = {auto: 'TB', TB: 'LR', LR: 'auto'}[chart.rankdir];
    chart.rankdir = next;
    e.target.textContent = 'Layout: ' + {auto: 'auto', TB: 'top down', LR: 'left to right'}[next];
    app.redraw({fit: true});
  });
  $('btn-sched').addEventListener('click', () => editor.showSchedules());
  $('btn-new-ivr').addEventListener('click', () => newIVRForm(app, $('panel')));
  $('btn-prompts').addEventListener('click', () => editor.showPrompts());
  $('btn-calls').addEventListener('click', () => calls.panel($('panel')));
  $('btn-queues').addEventListener('click', () => queues.show($('panel')));
  $('btn-sim').addEventListener('click', (e) => {
    calls.clear();
    const on = sim.toggle();
    e.target.setAttribute('aria-pressed', String(on));
    chart.home(); // the canvas changed size
  });
  // A call from the page is followed on the chart: Live goes on with it.
  $('btn-call').addEventListener('click', () => {
    if (!(phone.sip && phone.sip.pc) && $('btn-live').getAttribute('aria-pressed') !== 'true') $('btn-live').click();
  });
  $('btn-live').addEventListener('click', (e) => {
    const on = overlay.toggle();
    e.target.setAttribute('aria-pressed', String(on));
  });
  window.addEventListener('beforeunload', (e) => { if (app.drafts.size) e.preventDefault(); });
  window.addEventListener('resize', () => chart.fit());
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') editor.cancelPick();
    // Ctrl+Z / Ctrl+Shift+Z (Cmd on a Mac) undo and redo the menu's
    // edits, except inside a text field, where they undo its typing.
    const inField = e.target.matches && e.target.matches('input[type=text], input:not([type]), textarea');
    if ((e.ctrlKey || e.metaKey) && !inField && (e.key === 'z' || e.key === 'Z' || e.key === 'y')) {
      e.preventDefault();
      if (e.key === 'y' || e.shiftKey) editor.redo(); else editor.undo();
    }
  });

  const tok = api.token();
  if (tok) login(tok); else showLogin('');
}

wire();
