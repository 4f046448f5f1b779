// Schedules: weekly open hours, holidays and what happens when closed.
// The form edits a copy; Save sends it with If-Match like a menu.

import * as api from './api.js';
import {h, fill, field} from './dom.js';
import {destEditor} from './destedit.js';
import {picker} from './prompts.js';

const copies = new Map(); // schedule id -> copy being edited

export function scheduleList(ed) {
  const app = ed.app;
  const items = [...app.cfg.schedules.values()];
  fill(ed.panel, h('h2', {}, 'Schedules'),
    items.length ? h('ul', {class: 'list'}, items.map((s) => {
      const b = h('button', {type: 'button'}, 'Edit');
      b.addEventListener('click', () => scheduleForm(ed, s.id));
      const users = [...app.cfg.ivrs.values()].filter((m) => m.schedule === s.id).map((m) => m.id);
      return h('li', {}, h('span', {class: 'grow'}, h('code', {}, s.id), ' ', (s.timezone || 'UTC'),
        users.length ? h('span', {class: 'muted'}, ' · used by ' + users.join(', ')) : null), b);
    })) : h('p', {class: 'muted'}, 'No schedules. A menu without one is always open.'),
    app.canWrite ? newSchedule(ed) : null);
}

function newSchedule(ed) {
  const id = h('input', {type: 'text', id: 'new-schedule', placeholder: 'office-hours', pattern: '[A-Za-z0-9._-]+'});
  const b = h('button', {type: 'button'}, 'Create');
  b.addEventListener('click', async () => {
    if (!id.value.trim()) return;
    try {
      const r = await api.call('POST', '/schedules', {body: {id: id.value.trim(), timezone: 'UTC', open: ['mon-fri 09:00-17:00']}});
      ed.app.cfg.schedules.set(r.body.id, r.body);
      scheduleForm(ed, r.body.id);
    } catch (e) {
      ed.app.status('Not created: ' + e.message + (e.problems.length ? ' ' + e.problems.map((p) => p.path + ': ' + p.message).join('; ') : ''), 'error');
    }
  });
  return h('div', {class: 'edit-only'}, h('h3', {}, 'New schedule'), field('Id', id), b);
}

export function scheduleForm(ed, sid) {
  const app = ed.app;
  const orig = app.cfg.schedules.get(sid);
  if (!orig) { app.status('Unknown schedule ' + sid, 'error'); return; }
  if (!copies.has(sid)) copies.set(sid, structuredClone(orig));
  const s = copies.get(sid);
  const ro = !app.canWrite;
  const redo = () => scheduleForm(ed, sid);
  const dirty = JSON.stringify(s) !== JSON.stringify(orig);

  const tz = h('input', {id: 's-timezone', type: 'text', value: s.timezone || '', placeholder: 'Europe/Paris', disabled: ro});
  tz.addEventListener('change', () => { s.timezone = tz.value.trim(); redo(); });
  const open = h('textarea', {id: 's-open', rows: 4, disabled: ro, spellcheck: 'false'});
  open.value = (s.open || []).join('\n');
  open.addEventListener('change', () => { s.open = open.value.split('\n').map((x) => x.trim()).filter(Boolean); redo(); });

  const hol = (s.holidays || []).map((x, i) => {
    const date = h('input', {id: `h-${i}-date`, type: 'date', value: x.date || '', 'aria-label': 'holiday date', disabled: ro});
    date.addEventListener('change', () => { x.date = date.value; redo(); });
    const name = h('input', {id: `h-${i}-name`, type: 'text', value: x.name || '', 'aria-label': 'holiday name', placeholder: 'name', disabled: ro});
    name.addEventListener('change', () => { x.name = name.value; redo(); });
    const pr = picker(app, '', x.prompt || '', (v) => { if (v) x.prompt = v; else delete x.prompt; redo(); }, {id: `h-${i}-prompt`});
    const rm = h('button', {type: 'button', class: 'danger edit-only', 'aria-label': 'Remove holiday ' + (x.name || x.date)}, '✕');
    rm.addEventListener('click', () => { s.holidays.splice(i, 1); redo(); });
    return h('div', {class: 'holiday'}, date, name, rm, pr);
  });
  const addHol = h('button', {type: 'button', class: 'edit-only', id: 'add-holiday'}, 'Add holiday');
  addHol.addEventListener('click', () => {
    s.holidays = s.holidays || [];
    s.holidays.push({date: new Date().toISOString().slice(0, 10), name: 'holiday'});
    redo();
  });
  s.closed = s.closed || {};
  const closedPrompt = picker(app, 'Closed prompt', s.closed.prompt || '', (v) => { if (v) s.closed.prompt = v; else delete s.closed.prompt; redo(); }, {id: 's-closed-prompt'});
  const then = destEditor(app, s.closed.then === undefined ? null : s.closed.then, (nd) => { s.closed.then = nd; redo(); }, {label: 'when closed, then', idBase: 's-then'});

  const save = h('button', {type: 'button', class: 'primary edit-only', id: 's-save', disabled: !dirty}, 'Save schedule');
  save.addEventListener('click', async () => {
    try {
      const r = await api.call('PUT', '/schedules/' + encodeURIComponent(sid), {body: api.withoutMeta(s), etag: api.etagOf(orig)});
      app.cfg.schedules.set(sid, r.body);
      copies.delete(sid);
      app.showProblems([]);
      app.redraw();
      app.status('Saved schedule ' + sid + ' (version ' + r.body.version + ').', 'ok');
    } catch (e) {
      if (e.status === 422) app.showProblems(e.problems);
      app.status('Not saved: ' + (e.status === 412 ? 'schedule ' + sid + ' was changed by someone else since you opened it; nothing was overwritten.' : e.message) +
        (e.problems.length ? ' ' + e.problems.map((p) => p.path + ': ' + p.message).join('; ') : ''), 'error');
    }
    redo();
  });
  const revert = h('button', {type: 'button', class: 'edit-only', disabled: !dirty}, 'Discard changes');
  revert.addEventListener('click', () => { copies.delete(sid); redo(); });

  fill(ed.panel, h('h2', {}, 'Schedule ', h('code', {}, sid)),
    h('div', {class: 'actions'}, save, revert, dirty ? h('span', {class: 'dirty'}, '● unsaved changes') : null, h('span', {class: 'muted'}, 'version ' + orig.version)),
    ed.problemList(app.problems, 'schedules[' + sid + ']'),
    field('Time zone', tz),
    field('Open hours, one range a line', open, 'e.g. mon-fri 09:00-17:00, sat 10:00-12:00'),
    h('h3', {}, 'Holidays (closed all day)'),
    h('div', {class: 'holidays'}, hol), addHol,
    h('h3', {}, 'When closed'),
    closedPrompt, h('p', {class: 'muted'}, 'then:'), h('div', {class: 'picker'}, then));
}
