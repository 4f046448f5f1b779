// The side panel: what the selected node or edge is, and for a write
// token the form that edits it. Edits go to a draft of the menu (the
// flowchart follows it at once); Save sends the draft with If-Match, so
// a change someone else made meanwhile is reported (412), never
// overwritten, and a draft that would not validate (422) is kept with
// its problems shown on the chart.

import * as api from './api.js';
import {h, fill, field} from './dom.js';
import {keyOrder} from './model.js';
import {destEditor} from './destedit.js';
import {picker, uploadForm, phoneForm, play} from './prompts.js';
import {scheduleForm, scheduleList} from './schedules.js';
import {copyForm, deleteForm} from './ivrs.js';
import {exportIVR, importForm} from './ivrfile.js';
import {revisionsPanel} from './revisions.js';

const keyPath = /^ivrs\[([^\]]*)\]\.(keys\.([^.]+)|on_failure)/;

export class Editor {
  constructor(app, panel) {
    this.app = app;
    this.panel = panel;
    this.conflict = new Map(); // ivr id -> message of a refused save
    this.pick = null; // retarget by clicking: the key waiting for a menu
    // Undo and redo within the page, per menu: each entry is the draft
    // before an edit (null: no draft, the saved menu). A run of edits to
    // one field (typing) is one entry.
    this.undos = new Map(); // ivr id -> [draft|null]
    this.redos = new Map();
    this.lastField = new Map(); // ivr id -> the field of the last edit
  }

  // connect sends a key to a menu dropped on: {path} is the key's
  // (ivrs[X].keys.K), to the menu's node id.
  connect({path, to}) {
    const app = this.app;
    const m = /^ivrs\[([^\]]*)\]\.keys\.(.+)$/.exec(path || '');
    const n = app.graph.nodes.get(to);
    if (!app.canWrite) { app.status('This token can read only: key unchanged.'); return; }
    if (!m || !n || !n.ivr) return;
    const [, id, key] = m;
    if (n.ivr === id && n.type === 'menu') { app.status('Key ' + key + ' of ' + id + ' unchanged: that is its own menu (use "repeat").'); return; }
    this.edit(id, (d) => { d.keys[key] = {ivr: n.ivr}; });
    app.status('Key ' + key + ' of ' + id + ' now goes to menu ' + n.ivr + ' (not saved yet).');
    this.menu(id, {key});
  }

  // remove is Delete on the chart: a key (its bubble or where it leads)
  // is removed from its menu, as an edit Ctrl+Z undoes; a menu gets the
  // delete form (deleting a menu is a write of its own, checked first).
  remove(sel) {
    const app = this.app;
    if (!app.canWrite) { app.status('This token can read only: nothing is deleted.'); return; }
    const e = sel.edge && app.graph.edges.find((x) => x.id === sel.edge);
    const n = sel.node && app.graph.nodes.get(sel.node);
    if (n && n.type === 'menu') { deleteForm(app, this.panel, n.ivr); return; }
    const m = keyPath.exec((e || n || {}).path || '');
    if (!m || !m[3]) { app.status('Nothing to delete there: choose a key or a menu.'); return; }
    const [, id, , key] = m;
    this.edit(id, (d) => { delete d.keys[key]; });
    this.menu(id, {});
    app.status('Removed key ' + key + ' of ' + id + ' (not saved yet; Ctrl+Z undoes).');
    this.app.chartFocus('menu:' + id);
  }

  // cancelPick leaves "pick a menu" mode (Escape).
  cancelPick() {
    if (!this.pick) return;
    this.pick = null;
    this.app.status('Key unchanged.');
  }

  // show draws the panel for a selection ({node} or {edge}, or null).
  show(sel) {
    const app = this.app;
    if (this.pick && sel && sel.node) {
      const n = app.graph.nodes.get(sel.node);
      const p = this.pick;
      this.pick = null;
      if (n && (n.type === 'menu' || n.type === 'gate') && n.ivr) {
        this.edit(p.ivr, (m) => { m.keys[p.key] = {ivr: n.ivr}; });
        app.status('Key ' + p.key + ' of ' + p.ivr + ' now goes to menu ' + n.ivr + ' (not saved yet).');
        return this.menu(p.ivr, {key: p.key});
      }
      app.status('Not a menu: key ' + p.key + ' unchanged.');
    }
    if (!sel) return this.overview();
    if (sel.edge) {
      const e = app.graph.edges.find((x) => x.id === sel.edge);
      if (!e) return this.overview();
      if (e.path.startsWith('schedules[')) return this.schedule(/^schedules\[([^\]]*)\]/.exec(e.path)[1]);
      const m = keyPath.exec(e.path);
      if (m) return this.menu(m[1], {key: m[3], failure: !m[3]});
      if (e.ivr) return this.menu(e.ivr, {});
      const from = app.graph.nodes.get(e.from);
      return from && from.ivr ? this.menu(from.ivr, {}) : this.overview();
    }
    const n = app.graph.nodes.get(sel.node);
    if (!n) return this.overview();
    if (n.schedule) return this.schedule(n.schedule);
    if (n.type === 'menu') return this.menu(n.ivr, {});
    const m = keyPath.exec(n.path || '');
    if (m) return this.menu(m[1], {key: m[3], failure: !m[3]});
    return this.info(n);
  }

  overview() {
    const app = this.app;
    fill(this.panel, h('h2', {}, 'IVR ' + (app.root || '')),
      h('p', {class: 'muted'}, 'Choose a menu, a key or a schedule on the chart (click, or Tab to it and press Enter).'),
      app.canWrite ? h('p', {class: 'muted'}, 'Edits show on the chart at once; Save draft keeps them on the server without calls getting them, Publish makes them live. Drag a box to move it, or a key\'s bubble onto a menu to send the key there.') : h('p', {class: 'muted'}, 'This token can read only: no edit controls.'),
      this.problemList(app.problems));
  }

  info(n) {
    fill(this.panel, h('h2', {}, n.title), h('ul', {class: 'list'}, n.lines.map((l) => h('li', {}, l))));
  }

  problemList(problems, prefix) {
    const ps = (problems || []).filter((p) => !prefix || p.path.startsWith(prefix));
    if (!ps.length) return null;
    return h('ul', {class: 'problems', 'aria-label': 'Problems'}, ps.map((p) => h('li', {class: p.warning ? 'warning' : ''}, h('code', {}, p.path), ' ', p.message)));
  }

  // edit changes the draft of menu id with f and redraws.
  // field names the form field being edited: a run of edits to one
  // field (each keystroke of a typed value) is one undo step.
  edit(id, f, field) {
    const app = this.app;
    const before = app.drafts.has(id) ? structuredClone(app.drafts.get(id)) : null;
    const d = structuredClone(before || app.saved(id));
    if (!d.keys) d.keys = {};
    f(d);
    // An edit that changes nothing (a change event repeating the input
    // events before it) is no step of its own.
    if (JSON.stringify(d) === JSON.stringify(before || app.saved(id))) return;
    if (!field || this.lastField.get(id) !== field) {
      const u = this.undos.get(id) || [];
      u.push(before);
      this.undos.set(id, u);
    }
    this.lastField.set(id, field || null);
    this.redos.delete(id);
    app.drafts.set(id, d);
    app.redraw();
    this.refreshActions(id);
  }

  // undo and redo step the current menu's draft back and forth.
  undo() { this.step(this.undos, this.redos, 'Undone'); }
  redo() { this.step(this.redos, this.undos, 'Redone'); }

  step(from, to, said) {
    const app = this.app;
    const id = this.current && this.current.ivr;
    const stack = id && from.get(id);
    if (!stack || !stack.length) { app.status('Nothing to ' + said.toLowerCase().replace(/ne$/, '') + '.'); return; }
    const other = to.get(id) || [];
    other.push(app.drafts.has(id) ? structuredClone(app.drafts.get(id)) : null);
    to.set(id, other);
    const d = stack.pop();
    if (d) app.drafts.set(id, d); else app.drafts.delete(id);
    this.lastField.delete(id);
    app.redraw();
    this.menu(id, this.current.focus || {});
    app.status(said + ' (menu ' + id + ').');
  }

  // refreshActions shows whether menu id has unsaved changes: Save,
  // Discard, Undo and Redo enabled or not, and the unsaved mark.
  refreshActions(id) {
    if (!this.current || this.current.ivr !== id) return;
    const dirty = this.app.drafts.has(id);
    const staged = this.app.staged.has(id);
    const set = (sel, on) => {
      const b = this.panel.querySelector(sel);
      if (b) { b.disabled = !on; b.setAttribute('aria-disabled', String(!on)); }
    };
    set('#save', dirty || staged);
    set('#save-draft', dirty);
    set('#revert', dirty);
    set('#undo', (this.undos.get(id) || []).length > 0);
    set('#redo', (this.redos.get(id) || []).length > 0);
    const mark = this.panel.querySelector('#dirty');
    if (mark) mark.hidden = !dirty;
  }

  // menu is the form of one menu; focus says which key (or the failure
  // path) the selection was about.
  menu(id, focus) {
    const app = this.app;
    const m = app.ivr(id);
    if (!m) return this.overview();
    this.current = {ivr: id, focus};
    // Each drawing of the form is a generation: a field of an older one
    // (a focused input being replaced fires change as it goes) edits
    // nothing.
    const gen = this.gen = (this.gen || 0) + 1;
    const live = () => gen === this.gen;
    const ro = !app.canWrite;
    const redo = (opts) => this.menu(id, opts || focus);
    const num = (name, label, min, max, def) => {
      const inp = h('input', {id: 'm-' + name, type: 'number', min, max, value: m[name] || '', placeholder: String(def), disabled: ro});
      const set = () => live() && this.edit(id, (d) => { if (inp.value === '') delete d[name]; else d[name] = Number(inp.value); }, name);
      inp.addEventListener('input', set);
      inp.addEventListener('change', set);
      return field(label, inp);
    };
    const dur = (name, label, def) => {
      const inp = h('input', {id: 'm-' + name, type: 'text', value: m[name] || '', placeholder: def, size: 5, disabled: ro, pattern: '[0-9.]+(ms|s|m)'});
      const set = () => live() && this.edit(id, (d) => { if (!inp.value.trim()) delete d[name]; else d[name] = inp.value.trim(); }, name);
      inp.addEventListener('input', set);
      inp.addEventListener('change', set);
      return field(label, inp);
    };
    const text = (name, label) => {
      const inp = h('input', {id: 'm-' + name, type: 'text', value: m[name] || '', disabled: ro});
      const set = () => live() && this.edit(id, (d) => { if (!inp.value.trim()) delete d[name]; else d[name] = inp.value.trim(); }, name);
      inp.addEventListener('input', set);
      inp.addEventListener('change', set);
      return field(label, inp);
    };
    const prompt = (name, label) => picker(app, label, m[name] || '', (v) => this.edit(id, (d) => { if (v) d[name] = v; else delete d[name]; }), {id: 'm-' + name});

    const rows = Object.keys(m.keys || {}).sort(keyOrder).map((k, i) => {
      const keyIn = h('input', {id: 'k-' + i + '-key', class: 'key', type: 'text', value: k, maxlength: 7, 'aria-label': 'key ' + k, title: 'The key callers press', disabled: ro});
      keyIn.addEventListener('change', () => {
        const nk = keyIn.value.trim();
        if (!nk || nk === k) { keyIn.value = k; return; }
        if (m.keys[nk]) { app.status('Key ' + nk + ' is already used in ' + id + '.', 'error'); keyIn.value = k; return; }
        this.edit(id, (d) => { d.keys[nk] = d.keys[k]; delete d.keys[k]; });
        redo({key: nk});
      });
      const dest = destEditor(app, m.keys[k], (nd, again, fieldName) => {
        if (!live()) return;
        this.edit(id, (d) => { d.keys[k] = nd; }, fieldName);
        if (again) redo({key: k});
      }, {label: 'key ' + k + ' destination', idBase: 'k-' + i});
      const pick = h('button', {type: 'button', class: 'edit-only', title: 'Then click a menu on the chart', 'aria-label': 'Pick on the chart the menu key ' + k + ' goes to'}, 'pick');
      pick.addEventListener('click', () => {
        this.pick = {ivr: id, key: k};
        app.status('Click (or Enter on) the menu key ' + k + ' of ' + id + ' should go to.');
        document.getElementById('chart').focus(); // Tab on from there to the menu
      });
      const rm = h('button', {type: 'button', class: 'danger edit-only', 'aria-label': 'Remove key ' + k}, '✕');
      rm.addEventListener('click', () => { this.edit(id, (d) => { delete d.keys[k]; }); redo({}); });
      const bad = app.problems.some((p) => p.path === 'ivrs[' + id + '].keys.' + k || p.path.startsWith('ivrs[' + id + '].keys.' + k + '.'));
      return h('tr', {class: [focus.key === k ? 'selected' : '', bad ? 'problem' : ''].join(' '), 'data-key': k},
        // The key's own buttons sit under it, so the destination's
        // fields get the row's whole width.
        h('td', {class: 'keycell'}, keyIn, h('div', {class: 'edit-only keybtns'}, pick, rm)), h('td', {}, h('div', {class: 'picker'}, dest)));
    });
    const add = h('button', {type: 'button', class: 'edit-only', id: 'add-key'}, 'Add key');
    add.addEventListener('click', () => {
      const free = [...'123456789*0#'].find((c) => !(m.keys || {})[c]);
      if (!free) { app.status('Every key is used.', 'error'); return; }
      this.edit(id, (d) => { d.keys[free] = 'hangup'; });
      redo({key: free});
      document.getElementById('k-' + Object.keys(app.ivr(id).keys).sort(keyOrder).indexOf(free) + '-kind')?.focus();
    });
    const failure = destEditor(app, m.on_failure === undefined ? null : m.on_failure, (nd, again, fieldName) => {
      if (!live()) return;
      this.edit(id, (d) => { if (nd === 'hangup') delete d.on_failure; else d.on_failure = nd; }, fieldName);
      if (again) redo({failure: true});
    }, {label: 'on failure', idBase: 'fail'});

    const schedSel = h('select', {id: 'm-schedule', disabled: ro}, h('option', {value: ''}, '(always open)'),
      [...app.cfg.schedules.keys()].map((s) => h('option', {value: s}, s)));
    schedSel.value = m.schedule || '';
    schedSel.addEventListener('change', () => this.edit(id, (d) => { if (schedSel.value) d.schedule = schedSel.value; else delete d.schedule; }));
    const transfer = h('select', {id: 'm-transfer', disabled: ro}, ['refer', 'bridge', 'auto'].map((t) => h('option', {value: t}, t)));
    transfer.value = m.transfer || 'refer';
    transfer.addEventListener('change', () => this.edit(id, (d) => { d.transfer = transfer.value; }));

    const dirty = app.drafts.has(id);
    const staged = app.staged.get(id);
    const save = h('button', {type: 'button', class: 'primary edit-only', id: 'save', disabled: !dirty && !staged,
      title: 'Make the changes live: new calls get them at once'}, 'Publish');
    save.addEventListener('click', () => this.save(id));
    const saveDraft = h('button', {type: 'button', class: 'edit-only', id: 'save-draft', disabled: !dirty,
      title: 'Keep the changes as a draft: checked and saved, but calls get them only once published'}, 'Save draft');
    saveDraft.addEventListener('click', () => this.saveDraft(id));
    const history = h('button', {type: 'button', id: 'btn-revisions'}, 'Revisions…');
    history.addEventListener('click', () => revisionsPanel(app, this.panel, id, () => this.menu(id, {})));
    const dropDraft = staged && app.canWrite ? h('button', {type: 'button', class: 'danger edit-only', id: 'discard-draft'}, 'Discard draft') : null;
    dropDraft?.addEventListener('click', () => this.discardDraft(id));
    const revert = h('button', {type: 'button', class: 'edit-only', id: 'revert', disabled: !dirty}, 'Discard changes');
    revert.addEventListener('click', () => {
      app.drafts.delete(id); this.conflict.delete(id); this.undos.delete(id); this.redos.delete(id);
      app.showProblems([]); app.redraw(); redo();
    });
    const undo = h('button', {type: 'button', class: 'edit-only', id: 'undo', title: 'Undo (Ctrl+Z)', disabled: !(this.undos.get(id) || []).length}, 'Undo');
    undo.addEventListener('click', () => this.undo());
    const redoBtn = h('button', {type: 'button', class: 'edit-only', id: 'redo', title: 'Redo (Ctrl+Shift+Z)', disabled: !(this.redos.get(id) || []).length}, 'Redo');
    redoBtn.addEventListener('click', () => this.redo());
    const conflict = this.conflict.get(id);
    const copy = h('button', {type: 'button', class: 'edit-only', id: 'copy-menu'}, 'Copy menu…');
    copy.addEventListener('click', () => copyForm(app, this.panel, id));
    const del = h('button', {type: 'button', class: 'danger edit-only', id: 'delete-menu'}, 'Delete menu…');
    del.addEventListener('click', () => deleteForm(app, this.panel, id));
    const exp = h('button', {type: 'button', id: 'export-ivr', title: 'Download this IVR as YAML, in the configuration file\'s shape'}, 'Export');
    exp.addEventListener('click', () => exportIVR(app, id));
    const imp = h('button', {type: 'button', class: 'edit-only', id: 'import-ivr', title: 'Add or replace an IVR from a YAML file or pasted text'}, 'Import…');
    imp.addEventListener('click', () => importForm(app, this.panel, () => this.menu(id, {})));

    fill(this.panel,
      h('h2', {}, 'Menu ', h('code', {}, id)),
      h('div', {class: 'actions'}, save, saveDraft, revert, undo, redoBtn, h('span', {class: 'dirty', id: 'dirty', role: 'status', hidden: !dirty}, '● unsaved changes'),
        h('span', {class: 'muted'}, 'live version ' + (app.cfg.ivrs.get(id) || {}).version)),
      staged ? h('p', {class: 'draft-note', id: 'draft-badge'}, h('span', {class: 'tag'}, 'Draft differs from live'),
        ' revision ' + staged.revision + ' by ' + (staged.who || '?') + '; calls get live version ' + staged.base_version + ' until it is published. ', dropDraft) : null,
      app.cfg.ivrs.has(id) ? h('div', {class: 'actions'}, copy, del, history, exp, imp) : null,
      conflict ? h('div', {class: 'error', role: 'alert', id: 'conflict'}, conflict, ' ', this.theirsButton(id)) : null,
      this.problemList(app.problems, 'ivrs[' + id + ']'),
      text('name', 'Name'),
      h('h3', {}, 'Keys'),
      h('table', {class: 'keys'}, h('tbody', {}, rows)), add,
      h('h3', {}, 'When the caller fails'),
      h('p', {class: 'muted'}, 'After ' + (m.max_invalid || 3) + ' invalid keys or ' + (m.prompt_repeat || 3) + ' prompts without a key:'),
      h('div', {class: 'picker', id: 'failure-row'}, failure),
      h('h3', {}, 'Prompts'),
      prompt('greeting', 'Greeting (once per call)'), prompt('prompt', 'Menu prompt'),
      prompt('invalid_prompt', 'Invalid key'), prompt('timeout_prompt', 'No key'),
      h('h3', {}, 'Timing'),
      h('div', {class: 'row'}, num('prompt_repeat', 'Repeats', 1, 5, 3), dur('response_timeout', 'Wait for a key', '5s'),
        dur('digit_timeout', 'Between digits', '3s'), num('max_invalid', 'Invalid keys', 1, 10, 3)),
      h('h3', {}, 'Hours and hand-off'),
      field('Schedule', schedSel), field('Transfer', transfer),
      h('p', {class: 'muted'}, 'Dialled as: ' + ((m.extensions || []).join(', ') || '(only from other menus)')),
      app.canWrite ? uploadForm(app, () => redo()) : null,
      app.canWrite ? phoneForm(app, () => redo()) : null);
    if (focus.key !== undefined) {
      const row = this.panel.querySelector(`tr[data-key="${CSS.escape(focus.key)}"]`);
      row?.scrollIntoView({block: 'nearest'});
    }
  }

  theirsButton(id) {
    const b = h('button', {type: 'button', id: 'load-theirs'}, 'Load their version (drops my changes)');
    b.addEventListener('click', async () => {
      const r = await api.call('GET', '/ivrs/' + encodeURIComponent(id));
      this.app.cfg.ivrs.set(id, r.body);
      this.app.drafts.delete(id);
      this.conflict.delete(id);
      this.app.redraw();
      this.menu(id, {});
    });
    return b;
  }

  // save publishes menu id: its unsaved edits go to the server as a
  // draft first (checked, 422 kept on the chart), then the draft is made
  // live; If-Match is the live version the edits started from, so a
  // change someone else made meanwhile is reported (412), never lost.
  async save(id) {
    const app = this.app;
    const orig = app.cfg.ivrs.get(id);
    if (!orig || (!app.drafts.has(id) && !app.staged.has(id))) return;
    app.status('Publishing ' + id + '…');
    try {
      if (app.drafts.has(id)) await this.putDraft(id);
      const r = await api.call('POST', '/ivrs/' + encodeURIComponent(id) + '/publish', {etag: api.etagOf(orig)});
      app.cfg.ivrs.set(id, r.body);
      app.staged.delete(id);
      app.redraw();
      app.status('Published menu ' + id + ' (version ' + r.body.version + '). New calls get it now.', 'ok');
    } catch (e) {
      this.refused(id, e, orig);
    }
    this.menu(id, (this.current && this.current.focus) || {});
  }

  // saveDraft keeps the edits on the server without publishing them.
  async saveDraft(id) {
    const app = this.app;
    if (!app.drafts.has(id)) return;
    app.status('Saving a draft of ' + id + '…');
    try {
      const d = await this.putDraft(id);
      app.status('Saved a draft of menu ' + id + ' (revision ' + d.revision + '). Calls still get version ' + d.base_version + ' until you publish.', 'ok');
    } catch (e) {
      this.refused(id, e, app.cfg.ivrs.get(id));
    }
    this.menu(id, (this.current && this.current.focus) || {});
  }

  async putDraft(id) {
    const app = this.app;
    const orig = app.cfg.ivrs.get(id);
    const r = await api.call('PUT', '/ivrs/' + encodeURIComponent(id) + '/draft', {body: api.withoutMeta(app.drafts.get(id)), etag: api.etagOf(orig)});
    app.staged.set(id, r.body);
    app.drafts.delete(id);
    this.conflict.delete(id);
    this.undos.delete(id);
    this.redos.delete(id);
    app.showProblems([]);
    app.redraw();
    return r.body;
  }

  async discardDraft(id) {
    const app = this.app;
    try {
      await api.call('DELETE', '/ivrs/' + encodeURIComponent(id) + '/draft');
      app.staged.delete(id);
      app.redraw();
      app.status('Discarded the draft of menu ' + id + ' (it stays in its revisions).', 'ok');
    } catch (e) {
      app.status('Draft not discarded: ' + e.message, 'error');
    }
    this.menu(id, {});
  }

  refused(id, e, orig) {
    const app = this.app;
    if (e.status === 422) {
      app.showProblems(e.problems);
      app.status('Not saved: ' + e.problems.length + ' problem' + (e.problems.length === 1 ? '' : 's') + ' (marked on the chart). ' + e.problems.map((p) => p.path + ': ' + p.message).join('; '), 'error');
    } else if (e.status === 412) {
      this.conflict.set(id, 'Not saved: someone else changed menu ' + id + ' since you opened it (you had version ' + orig.version + '). Your changes are still here; nothing was overwritten.');
      app.status('Not saved: ' + id + ' was changed by someone else meanwhile.', 'error');
    } else {
      app.status('Not saved: ' + e.message, 'error');
    }
  }

  schedule(sid) { scheduleForm(this, sid); }
  showSchedules() { scheduleList(this); }

  showPrompts() {
    const app = this.app;
    fill(this.panel, h('h2', {}, 'Prompts'),
      h('ul', {class: 'list', id: 'prompt-list'}, app.prompts.map((p) => {
        const b = h('button', {type: 'button', 'aria-label': 'Play ' + p}, '▶');
        b.addEventListener('click', () => play(p));
        return h('li', {}, h('span', {class: 'grow'}, p), b);
      })),
      app.canWrite ? uploadForm(app, () => this.showPrompts()) : null,
      app.canWrite ? phoneForm(app, () => this.showPrompts()) : null);
  }
}

