// The editor of one destination: what kind, its target (a menu, a URI, a
// number and trunk, an extension, a group, a prompt, a URL...) and the
// fields that go with the kind (transfer, ring time, event, timeout,
// hold; then, overflow and fallback as nested destinations). The kinds
// and fields come from the API's schema (schema.js), so every kind the
// configuration has can be chosen. Used for keys, on_failure and a
// schedule's closed branch.

import {h} from './dom.js';
import {KINDS, KIND_LABEL, destKind, destTarget, makeDest} from './model.js';
import {picker} from './prompts.js';
import {MODIFIERS} from './schema.js';

let seq = 0;

// Kinds whose target is a number or box the configuration defines: the
// field suggests them.
const SUGGEST = {
  extension: (app) => [...app.cfg.extensions.keys()],
  internal: (app) => [...app.cfg.extensions.keys(), ...[...app.cfg.ivrs.values()].flatMap((m) => m.extensions || [])],
  voicemail: (app) => boxes(app),
  voicemail_check: (app) => ['*', ...boxes(app)],
};
const PLACEHOLDER = {
  uri: 'sip:user@host', external: '+15551234567', extension: '101', voicemail: '101', internal: '201',
  voicemail_check: '* (any box) or a box', webhook: '(every webhook) or a name', set_language: 'es',
  conference: 'room id', ask: 'https://decide.example.com/ivr', ring_timeout: '20s', timeout: '3s',
  event: 'crm.callback',
};
// Nested destinations and what they mean, for their labels.
const NESTED = {then: 'then', overflow: 'if no answer', fallback: 'fallback'};

// boxes are the mailboxes a voicemail destination may name.
export function boxes(app) {
  return [...new Set([...app.cfg.extensions.keys(), ...app.cfg.groups.keys(), ...app.cfg.boxes.keys()])];
}

// destEditor returns the controls for d; change gets the new destination,
// whether the editor should be drawn again (the kind changed) and the id
// of the field edited (a run of typing in one field is one undo step).
// optional: the destination may be left out (nested then/overflow):
// the kind list starts with "(default)" and change gets undefined.
export function destEditor(app, d, change, {label = 'destination', idBase, depth = 0, optional = false, dflt = ''} = {}) {
  const base = idBase || 'dest-' + (++seq);
  const absent = d === undefined;
  const kind = absent ? '' : destKind(d);
  const target = destTarget(d);
  const ro = !app.canWrite;
  const kinds = (app.schema && app.schema.kinds) || KINDS;
  // cur is this destination as edited so far: each field changes it,
  // so edits to two fields without a redraw between keep both.
  let cur = d;
  const set = (patch, again, fid) => {
    const nd = typeof cur === 'object' && cur !== null ? {...cur} : {};
    for (const [k, v] of Object.entries(patch)) {
      // An empty field is left out, but for the kind's own (an empty
      // webhook is every webhook; an empty URI is an error to show).
      if (v === undefined || (v === '' && k !== kind)) delete nd[k]; else nd[k] = v;
    }
    cur = nd;
    change(nd, again, fid);
  };

  const kindSel = h('select', {id: base + '-kind', 'aria-label': label + ' kind', disabled: ro},
    optional ? h('option', {value: ''}, '(default' + (dflt ? ': ' + dflt : '') + ')') : null,
    kinds.map((k) => h('option', {value: k}, KIND_LABEL[k] || k.replace(/_/g, ' '))),
    !kind || kinds.includes(kind) ? null : h('option', {value: kind}, KIND_LABEL[kind] || kind));
  kindSel.value = kind;
  kindSel.addEventListener('change', () => {
    const k = kindSel.value;
    if (!k) { change(undefined, true); return; }
    let t = '';
    if (k === 'ivr') t = [...app.cfg.ivrs.keys()][0] || '';
    if (k === 'play') t = app.prompts[0] || '';
    if (k === 'group') t = [...app.cfg.groups.keys()][0] || '';
    if (k === 'voicemail_check') t = '*';
    const nd = makeDest(k, t, d);
    if (k === 'external') nd.trunk = (d && d.trunk) || [...app.cfg.trunks.keys()][0] || '';
    change(nd, true);
  });

  const parts = [kindSel];
  const tid = base + '-target';
  const select = (id, aria, values, value, onPick) => {
    const vals = value && !values.includes(value) ? [value, ...values] : values;
    const sel = h('select', {id, 'aria-label': aria, disabled: ro}, vals.map((v) => h('option', {value: v}, v)));
    sel.value = value;
    sel.addEventListener('change', () => onPick(sel.value));
    return sel;
  };
  // text is a typed field: each keystroke reaches the draft. A field the
  // form dropped (re-drawn) says nothing any more.
  const text = (id, aria, value, onText, {list, placeholder, cls = 'target'} = {}) => {
    const inp = h('input', {id, class: cls, type: 'text', value, spellcheck: 'false', disabled: ro, 'aria-label': aria,
      title: value || null, placeholder, list});
    const fire = () => { if (inp.isConnected) { inp.title = inp.value; onText(inp.value.trim()); } };
    inp.addEventListener('input', fire);
    inp.addEventListener('change', fire);
    return inp;
  };

  if (kind === 'ivr' || kind === 'group') {
    const ids = [...(kind === 'ivr' ? app.cfg.ivrs : app.cfg.groups).keys()];
    parts.push(select(tid, label + ' ' + KIND_LABEL[kind], ids, target, (v) => set({[kind]: v}, false)));
  } else if (kind === 'play') {
    parts.push(picker(app, label + ' prompt', target, (v) => set({play: v, prompt: undefined}, false), {optional: false, id: tid}));
  } else if (kind === 'gather') {
    parts.push(gatherForm(app, cur, (g, fid) => set({gather: g}, false, fid), base, label));
  } else if (kind === 'stream') {
    parts.push(streamForm(app, cur, (s, fid) => set({stream: s}, false, fid), base, label));
  } else if (kind && !['hangup', 'repeat', 'back', 'top', 'menu', 'unknown'].includes(kind)) {
    const options = SUGGEST[kind] ? SUGGEST[kind](app) : [];
    const listId = base + '-list';
    parts.push(text(tid, label + ' ' + (KIND_LABEL[kind] || kind).replace(/, then$/, ''), target,
      (v) => set({[kind]: v}, false, tid), {list: options.length ? listId : null, placeholder: PLACEHOLDER[kind]}));
    if (options.length) parts.push(h('datalist', {id: listId}, options.map((o) => h('option', {value: o}))));
  }

  // The fields that qualify this kind, as far as the schema has them.
  const fields = (app.schema && app.schema.fields) || {};
  for (const [f, applies] of Object.entries(MODIFIERS)) {
    if (!applies.includes(kind) || (app.schema && !(f in fields))) continue;
    const fid = base + '-' + f;
    if (f === 'trunk') {
      parts.push(select(fid, label + ' trunk', ['', ...app.cfg.trunks.keys()], (d && d.trunk) || '', (v) => set({trunk: v}, false)));
    } else if (f === 'transfer') {
      const sel = h('select', {id: fid, 'aria-label': label + ' transfer', disabled: ro},
        h('option', {value: ''}, "(menu's transfer)"), ['refer', 'bridge', 'auto'].map((t) => h('option', {value: t}, t)));
      sel.value = (d && d.transfer) || '';
      sel.addEventListener('change', () => set({transfer: sel.value}, false));
      parts.push(sel);
    } else if (f === 'hold') {
      parts.push(picker(app, label + ' hold prompt', (d && d.hold) || '', (v) => set({hold: v}, false), {id: fid}));
    } else if (NESTED[f]) {
      if (depth >= 2) continue; // deeper chains: through the API or the file
      const dflt = f === 'then' ? 'back to the menu' : 'hang up';
      const sub = destEditor(app, d ? d[f] : undefined, (nd, again, sf) => set({[f]: nd}, again, sf),
        {label: label + ' ' + NESTED[f], idBase: fid, depth: depth + 1, optional: true, dflt});
      parts.push(h('div', {class: 'sub picker', role: 'group', 'aria-label': label + ' ' + NESTED[f]},
        h('span', {class: 'muted'}, NESTED[f]), sub));
    } else if (fields[f] && fields[f].type === 'string') {
      // A visible name over the field, not only a placeholder.
      parts.push(h('label', {class: 'mod'}, h('span', {}, f.replace(/_/g, ' ')),
        text(fid, label + ' ' + f.replace(/_/g, ' '), (d && d[f]) || '', (v) => set({[f]: v}, false, fid),
          {placeholder: PLACEHOLDER[f], cls: 'target small'})));
    }
  }
  return parts;
}

// gatherForm edits a gather's settings: one control per property of the
// schema's gather object (text, number or checkbox by its type).
function gatherForm(app, d, change, base, label) {
  const g = {...((d && d.gather) || {})};
  const props = (app.schema && app.schema.gather) || {min: {type: 'integer'}, max: {type: 'integer'}, var: {type: 'string'}};
  const ro = !app.canWrite;
  const rows = Object.entries(props).map(([name, p]) => {
    const id = base + '-gather-' + name;
    const aria = label + ' ' + name.replace(/_/g, ' ');
    let inp;
    if (p.type === 'boolean') {
      inp = h('input', {id, type: 'checkbox', checked: !!g[name], disabled: ro, 'aria-label': aria});
      inp.addEventListener('change', () => { if (inp.checked) g[name] = true; else delete g[name]; change({...g}, id); });
    } else {
      const num = p.type === 'integer';
      inp = h('input', {id, type: num ? 'number' : 'text', min: num ? 0 : null, value: g[name] === undefined ? '' : String(g[name]),
        disabled: ro, 'aria-label': aria, spellcheck: 'false', placeholder: p.example || null});
      const fire = () => {
        if (!inp.isConnected) return;
        const v = inp.value.trim();
        if (v === '') delete g[name]; else g[name] = num ? Number(v) : v;
        change({...g}, id);
      };
      inp.addEventListener('input', fire);
      inp.addEventListener('change', fire);
    }
    return h('label', {class: 'gather-field'}, h('span', {}, name.replace(/_/g, ' ')), inp);
  });
  return h('div', {class: 'sub gather', role: 'group', 'aria-label': label + ' digits to collect'}, rows);
}

// streamForm edits a stream's URL, track, format and whether the bot's
// audio is played (parameters and headers: through the API or the file,
// kept as they are).
function streamForm(app, d, change, base, label) {
  const s = {...((d && d.stream) || {})};
  const ro = !app.canWrite;
  const url = h('input', {id: base + '-stream-url', type: 'text', value: s.url || '', disabled: ro, spellcheck: 'false',
    'aria-label': label + ' stream url', placeholder: 'wss://bot.example.com/media'});
  const fire = () => {
    if (!url.isConnected) return;
    const v = url.value.trim();
    if (v === '') delete s.url; else s.url = v;
    change({...s}, url.id);
  };
  url.addEventListener('input', fire);
  url.addEventListener('change', fire);
  const choice = (name, values) => {
    const id = base + '-stream-' + name;
    const sel = h('select', {id, disabled: ro, 'aria-label': label + ' stream ' + name},
      values.map((v, i) => h('option', {value: i === 0 ? '' : v}, i === 0 ? v + ' (default)' : v)));
    sel.value = s[name] || '';
    sel.addEventListener('change', () => { if (sel.value) s[name] = sel.value; else delete s[name]; change({...s}, id); });
    return h('label', {class: 'gather-field'}, h('span', {}, name), sel);
  };
  const bid = h('input', {id: base + '-stream-bidirectional', type: 'checkbox', checked: !!s.bidirectional, disabled: ro,
    'aria-label': label + ' stream bidirectional'});
  bid.addEventListener('change', () => { if (bid.checked) s.bidirectional = true; else delete s.bidirectional; change({...s}, bid.id); });
  return h('div', {class: 'sub gather', role: 'group', 'aria-label': label + ' stream'},
    h('label', {class: 'gather-field'}, h('span', {}, 'url'), url), choice('track', ['inbound', 'both']),
    choice('format', ['mulaw8k', 'pcm16k']), h('label', {class: 'gather-field'}, h('span', {}, 'play the bot\'s audio'), bid));
}
