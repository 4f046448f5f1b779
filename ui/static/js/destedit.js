// The editor of one destination: what kind, and its target (a menu, a
// URI, a number and trunk, an extension, a prompt). Used for keys,
// on_failure and a schedule's closed branch.

import {h} from './dom.js';
import {KINDS, KIND_LABEL, destKind, destTarget, makeDest} from './model.js';
import {picker} from './prompts.js';

let seq = 0;

// destEditor returns the controls for d; change gets the new destination
// and whether the editor should be drawn again (the kind changed).
export function destEditor(app, d, change, {label = 'destination', idBase} = {}) {
  const base = idBase || 'dest-' + (++seq);
  const kind = destKind(d);
  const target = destTarget(d);
  const ro = !app.canWrite;
  const kindSel = h('select', {id: base + '-kind', 'aria-label': label + ' kind', disabled: ro},
    KINDS.map((k) => h('option', {value: k}, KIND_LABEL[k])),
    KINDS.includes(kind) ? null : h('option', {value: kind}, KIND_LABEL[kind] || kind));
  kindSel.value = kind;
  kindSel.addEventListener('change', () => {
    let t = '';
    if (kindSel.value === 'ivr') t = [...app.cfg.ivrs.keys()][0] || '';
    if (kindSel.value === 'play') t = app.prompts[0] || '';
    const nd = makeDest(kindSel.value, t, d);
    if (kindSel.value === 'external') nd.trunk = (d && d.trunk) || [...app.cfg.trunks.keys()][0] || '';
    change(nd, true);
  });

  const parts = [kindSel];
  const tid = base + '-target';
  if (kind === 'ivr') {
    const ids = [...app.cfg.ivrs.keys()];
    if (target && !ids.includes(target)) ids.unshift(target);
    const sel = h('select', {id: tid, 'aria-label': label + ' menu', disabled: ro}, ids.map((i) => h('option', {value: i}, i)));
    sel.value = target;
    sel.addEventListener('change', () => change(makeDest('ivr', sel.value, d), false));
    parts.push(sel);
  } else if (kind === 'play') {
    parts.push(picker(app, '', target, (v) => change({...d, play: v, prompt: undefined}, false), {optional: false, id: tid}));
  } else if (['uri', 'external', 'extension', 'voicemail'].includes(kind)) {
    const listId = base + '-list';
    const options = kind === 'extension' || kind === 'voicemail' ? [...app.cfg.extensions.keys()] : [];
    const inp = h('input', {id: tid, class: 'target', type: 'text', value: target, spellcheck: 'false', disabled: ro,
      'aria-label': label + ' ' + KIND_LABEL[kind], list: options.length ? listId : null,
      placeholder: {uri: 'sip:user@host', external: '+15551234567', extension: '101', voicemail: '101'}[kind]});
    // Each keystroke reaches the draft (the menu is marked changed at
    // once), as one undo step per field.
    // A field the form dropped (re-drawn) says nothing any more.
    const set = () => inp.isConnected && change(makeDest(kind, inp.value.trim(), d), false, tid);
    inp.addEventListener('input', set);
    inp.addEventListener('change', set);
    parts.push(inp);
    if (options.length) parts.push(h('datalist', {id: listId}, options.map((o) => h('option', {value: o}))));
    if (kind === 'external') {
      const trunks = [...app.cfg.trunks.keys()];
      const tr = h('select', {id: base + '-trunk', 'aria-label': label + ' trunk', disabled: ro},
        h('option', {value: ''}, '(trunk)'), trunks.map((t) => h('option', {value: t}, t)));
      tr.value = d.trunk || '';
      tr.addEventListener('change', () => change({...d, trunk: tr.value}, false));
      parts.push(tr);
    }
  }
  return parts;
}
