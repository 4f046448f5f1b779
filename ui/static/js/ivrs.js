// Creating, copying and deleting menus in the page, through the REST API
// (the same JSON and checks as any other client): a new IVR from a
// template, a copy of a menu under a new id, and deleting a menu after
// every reference to it is pointed somewhere else (the API refuses to
// delete a menu something still sends calls to).

import * as api from './api.js';
import {h, fill, field} from './dom.js';
import {describe, destKind} from './model.js';
import {boxes} from './destedit.js';
import {TEMPLATES, build} from './templates.js';

const ID = '[A-Za-z0-9][A-Za-z0-9_.\\-]*';

// problemsOf is an API error as a list a form can show.
function problemsOf(e) {
  const items = e.problems && e.problems.length ? e.problems.map((p) => p.path + ': ' + p.message) : [e.message];
  return h('ul', {class: 'problems', role: 'alert', id: 'form-problems'}, items.map((t) => h('li', {}, t)));
}

// newIVRForm shows the "New IVR" form in panel.
export function newIVRForm(app, panel) {
  const radios = TEMPLATES.map((t, i) => h('label', {class: 'choice'},
    h('input', {type: 'radio', name: 'tpl', value: t.id, checked: i === 0}), ' ', h('strong', {}, t.name), h('br'), h('small', {}, t.about)));
  const id = h('input', {id: 'new-id', type: 'text', required: true, pattern: ID, spellcheck: 'false', placeholder: 'reception'});
  const name = h('input', {id: 'new-name', type: 'text', placeholder: 'Reception'});
  const number = h('input', {id: 'new-number', type: 'text', spellcheck: 'false', placeholder: '300 (optional)'});
  const mailboxes = boxes(app);
  const box = h('select', {id: 'new-box'}, mailboxes.map((b) => h('option', {value: b}, b)));
  const out = h('div', {});
  const form = h('form', {id: 'new-ivr-form', class: 'form'},
    h('fieldset', {}, h('legend', {}, 'Template'), radios),
    field('Menu id', id), field('Name', name), field('Dialled number', number, 'Callers reach the IVR on this number; leave empty for none yet.'),
    field('Mailbox for messages', box, mailboxes.length ? 'Where the voicemail templates leave messages.' : 'No extension, group or voicemail box yet: the voicemail templates need one.'),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', id: 'create-ivr'}, 'Create IVR')),
    out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const tpl = form.querySelector('input[name=tpl]:checked').value;
    const mid = id.value.trim();
    if (!new RegExp('^' + ID + '$').test(mid)) { fill(out, problemsOf({message: 'Menu id: letters, digits, _ . - (e.g. reception).'})); return; }
    if (app.cfg.ivrs.has(mid)) { fill(out, problemsOf({message: 'A menu ' + mid + ' exists already.'})); return; }
    if (TEMPLATES.find((t) => t.id === tpl).needsBox && !box.value) { fill(out, problemsOf({message: 'This template needs a mailbox.'})); return; }
    const res = build(tpl, {id: mid, name: name.value.trim() || mid, number: number.value.trim(), box: box.value}, {...app.cfg, prompts: app.prompts});
    const made = [];
    try {
      for (const s of res.schedules) { await api.call('POST', '/schedules', {body: s}); made.push('/schedules/' + s.id); }
      for (const m of res.ivrs) { await api.call('POST', '/ivrs', {body: m}); made.push('/ivrs/' + m.id); }
    } catch (err) {
      // Nothing half made stays behind: what was created is removed.
      for (const p of made.reverse()) {
        const r = await api.call('GET', p).catch(() => null);
        if (r) await api.call('DELETE', p, {etag: api.etagOf(r.body)}).catch(() => {});
      }
      fill(out, h('p', {}, 'Not created:'), problemsOf(err));
      return;
    }
    await app.refresh(mid);
    app.select({node: 'menu:' + mid});
    app.status('Created IVR ' + mid + ' from the template "' + TEMPLATES.find((t) => t.id === tpl).name + '". New calls get it now.', 'ok');
  });
  fill(panel, h('h2', {}, 'New IVR'), h('p', {class: 'muted'}, 'Start from a template; change anything afterwards on the chart.'), form);
  id.focus();
}

// copyForm shows the form copying menu id (as saved) under a new id.
export function copyForm(app, panel, id) {
  const m = app.cfg.ivrs.get(id);
  const nid = h('input', {id: 'copy-id', type: 'text', required: true, spellcheck: 'false', value: freeId(app, id + '-copy')});
  const name = h('input', {id: 'copy-name', type: 'text', value: 'Copy of ' + (m.name || id)});
  const number = h('input', {id: 'copy-number', type: 'text', spellcheck: 'false', placeholder: '(none)'});
  const out = h('div', {});
  const form = h('form', {id: 'copy-form', class: 'form'},
    field('New menu id', nid), field('Name', name), field('Dialled number', number, 'The copy does not take the original\'s numbers.'),
    app.drafts.has(id) ? h('p', {class: 'muted'}, 'Copies the saved version; unsaved changes to ' + id + ' are not in the copy.') : null,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', id: 'copy-go'}, 'Copy'), cancel(app, id)), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = api.withoutMeta(m);
    body.id = nid.value.trim();
    body.name = name.value.trim() || body.id;
    delete body.extensions;
    if (number.value.trim()) body.extensions = [number.value.trim()];
    try {
      await api.call('POST', '/ivrs', {body});
    } catch (err) { fill(out, h('p', {}, 'Not copied:'), problemsOf(err)); return; }
    await app.refresh(body.id);
    app.select({node: 'menu:' + body.id});
    app.status('Copied menu ' + id + ' to ' + body.id + '.', 'ok');
  });
  fill(panel, h('h2', {}, 'Copy menu ', h('code', {}, id)), form);
  nid.focus();
}

// references lists every place outside menu id that sends calls to it:
// {kind, res, path (keys into the resource), where (in words)}.
export function references(app, id) {
  const out = [];
  const walk = (kind, res, d, path, where) => {
    if (!d || typeof d !== 'object') return;
    if (destKind(d) === 'ivr' && d.ivr === id) out.push({kind, res, path, where});
    for (const f of ['then', 'overflow', 'fallback']) walk(kind, res, d[f], [...path, f], where + ' ' + f);
  };
  for (const [mid, m] of app.cfg.ivrs) {
    if (mid === id) continue;
    for (const [k, d] of Object.entries(m.keys || {})) walk('ivrs', mid, d, ['keys', k], 'menu ' + mid + ' key ' + k);
    walk('ivrs', mid, m.on_failure, ['on_failure'], 'menu ' + mid + ' on failure');
  }
  for (const [sid, s] of app.cfg.schedules) {
    if (s.closed) walk('schedules', sid, s.closed.then, ['closed', 'then'], 'schedule ' + sid + ' when closed');
  }
  return out;
}

// deleteForm shows what deleting menu id involves: each reference to it
// with a choice of what replaces it, then the delete.
export function deleteForm(app, panel, id) {
  const refs = references(app, id);
  const others = [...app.cfg.ivrs.keys()].filter((x) => x !== id);
  const choices = refs.map((r, i) => {
    const sel = h('select', {id: 'replace-' + i},
      others.map((o) => h('option', {value: 'ivr:' + o}, 'menu ' + o)),
      h('option', {value: 'hangup'}, 'hang up'),
      r.kind === 'ivrs' ? h('option', {value: 'repeat'}, 'repeat the menu') : null);
    return {r, sel, row: field('Replace in ' + r.where, sel)};
  });
  const m = app.cfg.ivrs.get(id);
  const out = h('div', {});
  const go = h('button', {type: 'submit', class: 'danger', id: 'delete-go'}, refs.length ? 'Replace and delete' : 'Delete menu ' + id);
  const form = h('form', {id: 'delete-form', class: 'form'},
    refs.length ? h('p', {}, refs.length + ' place' + (refs.length === 1 ? ' sends' : 's send') + ' calls to ' + id + '; choose what each goes to instead:') : h('p', {}, 'Nothing else sends calls to ' + id + '.'),
    choices.map((c) => c.row),
    (m.extensions || []).length ? h('p', {class: 'muted'}, 'Its dialled numbers (' + m.extensions.join(', ') + ') will reach nothing.') : null,
    h('div', {class: 'actions'}, go, cancel(app, id)), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    // Group the replacements by resource: one PUT each.
    const edits = new Map();
    for (const {r, sel} of choices) {
      const key = r.kind + '/' + encodeURIComponent(r.res);
      if (r.kind === 'ivrs' && app.drafts.has(r.res)) {
        fill(out, problemsOf({message: 'Menu ' + r.res + ' has unsaved changes: save or discard them first.'}));
        return;
      }
      if (!edits.has(key)) edits.set(key, {r, body: structuredClone(app.cfg[r.kind].get(r.res))});
      const v = sel.value.startsWith('ivr:') ? {ivr: sel.value.slice(4)} : sel.value;
      setAt(edits.get(key).body, r.path, v);
    }
    try {
      for (const [key, {body}] of edits) {
        await api.call('PUT', '/' + key, {body: api.withoutMeta(body), etag: api.etagOf(body)});
      }
      await api.call('DELETE', '/ivrs/' + encodeURIComponent(id), {etag: api.etagOf(m)});
    } catch (err) {
      await app.refresh();
      fill(out, h('p', {}, 'Not deleted:'), problemsOf(err));
      return;
    }
    app.drafts.delete(id);
    await app.refresh(app.root === id ? '' : app.root);
    app.select(null); // the overview: the menu is gone
    app.status('Deleted menu ' + id + (refs.length ? '; ' + refs.map((r, i) => r.where + ' now ' + describe(choices[i].sel.value.startsWith('ivr:') ? {ivr: choices[i].sel.value.slice(4)} : choices[i].sel.value)).join('; ') : '') + '.', 'ok');
  });
  fill(panel, h('h2', {}, 'Delete menu ', h('code', {}, id)), form);
}

function setAt(obj, path, v) {
  let o = obj;
  for (const p of path.slice(0, -1)) o = o[p];
  o[path[path.length - 1]] = v;
}

function freeId(app, want) {
  let id = want;
  for (let i = 2; app.cfg.ivrs.has(id); i++) id = want + '-' + i;
  return id;
}

function cancel(app, id) {
  const b = h('button', {type: 'button', id: 'form-cancel'}, 'Cancel');
  b.addEventListener('click', () => app.select({node: 'menu:' + id}));
  return b;
}
