// The configuration as a graph: which nodes and edges a menu tree makes.
// Pure functions of the API's JSON (no DOM), so the flowchart, the
// editor, the simulation and the validation marks agree on ids and paths.

// Destination kinds as the editor offers them before the API's schema
// is read (schema.js reads the full list).
export const KINDS = ['ivr', 'uri', 'external', 'extension', 'voicemail', 'play', 'hangup', 'repeat', 'back', 'top'];
const WORDS = ['repeat', 'back', 'top', 'menu', 'hangup'];
// Fields that qualify a destination; any other field of a mapping names
// its kind (so a kind the schema adds is still recognised).
const QUALIFIERS = new Set(['trunk', 'transfer', 'ring_timeout', 'overflow', 'then', 'event', 'data', 'timeout', 'hold', 'fallback']);
const KIND_ORDER = ['uri', 'external', 'extension', 'ivr', 'play', 'voicemail', 'group', 'voicemail_check', 'webhook',
  'set_language', 'internal', 'conference', 'queue', 'gather', 'ask', 'stream'];
// HANDOFFS give the call away; STEPS do something, then go on.
const HANDOFFS = ['uri', 'external', 'extension', 'voicemail', 'group', 'voicemail_check', 'conference', 'queue', 'internal'];
const STEPS = ['play', 'set_language', 'webhook', 'gather', 'ask', 'stream'];

export const KIND_LABEL = {
  ivr: 'menu', uri: 'SIP URI', external: 'number via trunk', extension: 'extension', voicemail: 'voicemail',
  play: 'play, then', hangup: 'hang up', repeat: 'repeat menu', back: 'back', top: 'top menu', menu: 'replay menu',
  group: 'ring group', voicemail_check: 'check voicemail', webhook: 'webhook, then', set_language: 'language, then',
  internal: 'internal number', conference: 'conference room', gather: 'collect digits', ask: 'ask a service',
  stream: 'stream to a bot', queue: 'call queue',
};

// destKind names what a destination (a word or a mapping) does; none
// (null) is the engine's default, hang up.
export function destKind(d) {
  if (d === null || d === undefined) return 'hangup';
  if (typeof d === 'string') return WORDS.includes(d.toLowerCase()) ? d.toLowerCase() : 'unknown';
  for (const k of KIND_ORDER) if (k in d) return k;
  if ('prompt' in d) return 'play';
  return Object.keys(d).find((k) => !QUALIFIERS.has(k)) || 'unknown';
}

export function destTarget(d) {
  const k = destKind(d);
  if (!d || typeof d === 'string') return '';
  if (k === 'play') return d.play !== undefined ? d.play : d.prompt;
  return d[k] !== undefined && typeof d[k] !== 'object' ? String(d[k]) : '';
}

// makeDest builds a destination of kind with target, keeping what still
// applies from the old one (transfer, ring time, overflow; a play's then;
// record).
export function makeDest(kind, target, old) {
  if (WORDS.includes(kind)) return kind;
  const nested = kind === 'gather' || kind === 'stream'; // settings objects, not a target
  const d = {[kind]: nested ? (target && typeof target === 'object' ? target : {}) : (target || '')};
  if (old && typeof old === 'object') {
    const handoff = ['uri', 'external', 'extension'].includes(kind);
    if (handoff) {
      for (const f of ['transfer', 'ring_timeout', 'overflow']) if (old[f] !== undefined) d[f] = old[f];
    }
    if (kind === 'group' && old.overflow !== undefined) d.overflow = old.overflow;
    if (kind === 'external' && old.trunk) d.trunk = old.trunk;
    if (['play', 'set_language', 'webhook', 'gather', 'stream'].includes(kind) && old.then !== undefined) d.then = old.then;
    if (['gather', 'ask', 'stream'].includes(kind) && old.fallback !== undefined) d.fallback = old.fallback;
    if (old.record !== undefined) d.record = old.record; // recording applies to every kind
  }
  return d;
}

// describe is a destination in a few words.
export function describe(d) {
  const k = destKind(d);
  const t = destTarget(d);
  switch (k) {
    case 'ivr': return 'menu ' + t;
    case 'uri': return t;
    case 'external': return t + ' via ' + (d.trunk || '?');
    case 'extension': return 'ext ' + t;
    case 'voicemail': return 'voicemail ' + t;
    case 'play': return 'play ' + t;
    case 'hangup': return 'hang up';
    case 'repeat': case 'menu': return 'repeat menu';
    case 'back': return 'back';
    case 'top': return 'top menu';
    case 'gather': return 'collect digits';
    case 'stream': return 'stream to ' + ((d.stream && d.stream.url) || '?');
  }
  if (KIND_LABEL[k]) return KIND_LABEL[k].replace(/, then$/, '') + ' ' + t;
  return '?';
}

// A key's order on a phone pad, for a stable layout and listing.
const PAD = '123456789*0#ABCD';
export function keyOrder(a, b) {
  const ia = PAD.indexOf(a), ib = PAD.indexOf(b);
  if (ia >= 0 && ib >= 0) return ia - ib;
  if (ia >= 0) return -1;
  if (ib >= 0) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

// Entry IVRs are the ones a number reaches; the picker offers them first.
export function entryIVRs(cfg) {
  return [...cfg.ivrs.values()].filter((m) => (m.extensions || []).length > 0);
}

// buildGraph is the flowchart of the menus reachable from root:
// {nodes: Map id -> node, edges: [edge]}. Every node and edge carries the
// configuration path it comes from (the paths validation problems name).
export function buildGraph(cfg, rootId) {
  const nodes = new Map();
  const edges = [];
  const entered = new Map(); // ivr id -> node id callers arrive at (gate or menu)
  const node = (n) => { if (!nodes.has(n.id)) nodes.set(n.id, n); return n.id; };
  const edge = (from, to, e) => { edges.push({id: 'e' + edges.length, from, to, ...e}); };

  const root = cfg.ivrs.get(rootId);
  const entry = node({id: 'entry', type: 'entry', title: 'Call in',
    lines: root && (root.extensions || []).length ? ['dialled: ' + root.extensions.join(', ')] : ['reached from other menus'],
    path: 'ivrs[' + rootId + '].extensions'});
  edge(entry, visit(rootId), {type: 'entry', label: '', path: 'ivrs[' + rootId + ']'});
  return {nodes, edges, root: rootId};

  function visit(id) {
    if (entered.has(id)) return entered.get(id);
    const m = cfg.ivrs.get(id);
    if (!m) {
      const miss = node({id: 'missing:' + id, type: 'missing', title: 'unknown menu', lines: [id], path: ''});
      entered.set(id, miss);
      return miss;
    }
    const p = 'ivrs[' + id + ']';
    const menuId = node({id: 'menu:' + id, type: 'menu', ivr: id, title: m.name && m.name !== id ? id + ' · ' + m.name : id,
      lines: menuLines(m), path: p});
    let arrive = menuId;
    if (m.schedule) arrive = gate(m, menuId);
    entered.set(id, arrive);

    for (const k of Object.keys(m.keys || {}).sort(keyOrder)) {
      dest(menuId, m.keys[k], p + '.keys.' + k, {type: 'key', label: k, key: k, ivr: id}, m);
    }
    if (m.direct_dial) {
      const exts = (cfg.extensions || new Map());
      const x = node({id: 'direct:' + id, type: 'handoff', kind: 'extension', title: 'Extensions',
        lines: [[...exts.keys()].slice(0, 6).join(', ') || '(none)'], path: p + '.direct_dial'});
      edge(menuId, x, {type: 'key', label: 'ext #', ivr: id, path: p + '.direct_dial'});
    }
    if (m.dial_out) {
      const x = node({id: 'dialout:' + id, type: 'handoff', kind: 'external', title: 'Dial out',
        lines: ['trunk ' + (m.dial_out.trunk || '?'), 'allow ' + (m.dial_out.allow || []).join(' ')], path: p + '.dial_out'});
      edge(menuId, x, {type: 'key', label: 'number', ivr: id, path: p + '.dial_out'});
    }
    // Failure: max_invalid wrong keys, or prompt_repeat silences; both go
    // to on_failure (hang up when it is not set).
    // Without on_failure the call hangs up: said in the node rather than
    // drawn, which keeps a large tree readable.
    if (m.on_failure === undefined || m.on_failure === null) return arrive;
    const fp = p + '.on_failure';
    const to = dest(menuId, m.on_failure, fp, {type: 'failure', label: '✗ ' + (m.max_invalid || 3) + ' invalid', ivr: id, failure: true}, m);
    edge(menuId, to, {type: 'timeout', label: '… ' + (m.prompt_repeat || 3) + ' no key', ivr: id, path: fp, failure: true});
    return arrive;
  }

  // gate is the schedule check in front of a menu: open, closed, holiday.
  function gate(m, menuId) {
    const sid = m.schedule;
    const sch = (cfg.schedules || new Map()).get(sid);
    const sp = 'schedules[' + sid + ']';
    if (!sch) {
      const g = node({id: 'gate:' + m.id, type: 'missing', ivr: m.id, title: 'unknown schedule', lines: [sid], path: 'ivrs[' + m.id + '].schedule'});
      edge(g, menuId, {type: 'open', label: 'open', path: sp});
      return g;
    }
    const g = node({id: 'gate:' + m.id, type: 'gate', ivr: m.id, schedule: sid, title: 'Schedule ' + sid,
      lines: [sch.timezone || 'UTC', ...(sch.open || []).slice(0, 3), (sch.open || []).length > 3 ? '…' : null].filter(Boolean), path: sp});
    edge(g, menuId, {type: 'open', label: 'open', path: sp + '.open'});
    const closed = node({id: 'closed:' + m.id, type: 'closed', ivr: m.id, schedule: sid, title: 'Closed',
      lines: [sch.closed && sch.closed.prompt ? 'play ' + sch.closed.prompt : 'no prompt'], path: sp + '.closed'});
    edge(g, closed, {type: 'closed', label: 'closed', path: sp + '.closed'});
    const after = dest(closed, sch.closed ? sch.closed.then : null, sp + '.closed.then', {type: 'then', label: 'then'}, m);
    if ((sch.holidays || []).length) {
      const hs = sch.holidays;
      const hol = node({id: 'holiday:' + m.id, type: 'closed', ivr: m.id, schedule: sid, title: 'Holiday',
        lines: [...hs.slice(0, 3).map((x) => x.date + ' ' + (x.name || '') + (x.prompt ? ' ▶' + x.prompt : '')), hs.length > 3 ? '+' + (hs.length - 3) + ' more' : null].filter(Boolean),
        path: sp + '.holidays'});
      edge(g, hol, {type: 'closed', label: 'holiday', holiday: true, path: sp + '.holidays'});
      edge(hol, after, {type: 'then', label: 'then', path: sp + '.closed.then'});
    }
    return g;
  }

  // dest draws where d sends the call from `from` and returns the node.
  function dest(from, d, path, e, menu) {
    const k = destKind(d);
    const t = destTarget(d);
    let to;
    if (k === 'ivr') {
      to = visit(t);
    } else if (STEPS.includes(k)) {
      const lines = k === 'gather' ? gatherLines(d.gather) : k === 'stream' ? streamLines(d.stream) : [t || (k === 'webhook' ? '(every webhook)' : '')];
      if (k === 'ask' && d.timeout) lines.push('wait ' + d.timeout);
      if (k === 'stream' && d.timeout) lines.push('at most ' + d.timeout);
      if (d.record) lines.push(recordLine(d.record));
      to = node({id: 'd:' + path, type: 'play', kind: k, prompt: k === 'play' ? t : undefined,
        title: k === 'play' ? '▶ play' : KIND_LABEL[k].replace(/, then$/, ''), lines, path});
      // A stream's then defaults to hanging up (the bot had the call); the others' to the menu.
      const dflt = k === 'stream' ? 'hangup' : 'menu';
      if (k !== 'ask') dest(to, d.then === undefined ? dflt : d.then, path + '.then', {type: 'then', label: 'then'}, menu);
      if (d.fallback !== undefined) dest(to, d.fallback, path + '.fallback', {type: 'overflow', label: 'fallback'}, menu);
    } else if (HANDOFFS.includes(k)) {
      const method = ['voicemail', 'voicemail_check', 'conference', 'queue'].includes(k) ? k.replace('_', ' ') : (d.transfer || (menu && menu.transfer) || 'refer');
      const lines = [k === 'external' ? t + ' via ' + (d.trunk || '?') : t, method + (d.ring_timeout ? ' · ring ' + d.ring_timeout : '')];
      if (k === 'extension') {
        const x = (cfg.extensions || new Map()).get(t);
        if (x && x.name) lines.splice(1, 0, x.name);
      }
      if (d.record) lines.push(recordLine(d.record));
      to = node({id: 'd:' + path, type: 'handoff', kind: k, target: t, trunk: d.trunk || '', title: KIND_LABEL[k], lines, path});
      if (d.overflow !== undefined) {
        dest(to, d.overflow, path + '.overflow', {type: 'overflow', label: 'no answer'}, menu);
      }
    } else {
      const titles = {hangup: '✆ hang up', repeat: '↻ repeat', menu: '↻ replay menu', back: '↩ back', top: '⤒ top menu'};
      to = node({id: 'd:' + path, type: k === 'unknown' ? 'missing' : 'end', kind: k, title: titles[k] || 'unknown', lines: [], path});
    }
    edge(from, to, {...e, path});
    return to;
  }
}

function streamLines(s) {
  s = s || {};
  return [s.url || '(no url)', (s.bidirectional ? 'both ways' : 'listen only') + ' · ' + (s.track || 'inbound') + ' · ' + (s.format || 'mulaw8k')];
}

function gatherLines(g) {
  g = g || {};
  const out = [(g.min || 1) + '–' + (g.max || '?') + ' digits' + (g.secret ? ' (secret)' : '')];
  if (g.prompt) out.push('prompt: ' + g.prompt);
  if (g.var) out.push('into ${' + g.var + '}');
  return out;
}

// recordLine says a step records the call: record is true or
// {announce, format}.
function recordLine(r) {
  const o = typeof r === 'object' ? r : {};
  return '● record ' + (o.format || 'stereo') + (o.announce ? ' · announce ' + o.announce : '');
}

function menuLines(m) {
  const out = [];
  if (m.greeting) out.push('greeting: ' + m.greeting);
  out.push('prompt: ' + (m.prompt || '(none)'));
  const extra = [];
  if (m.invalid_prompt) extra.push('invalid: ' + m.invalid_prompt);
  if (m.timeout_prompt) extra.push('timeout: ' + m.timeout_prompt);
  if (extra.length) out.push(extra.join(' · '));
  out.push('×' + (m.prompt_repeat || 3) + ' · wait ' + (m.response_timeout || '5s') + ' · digits ' + (m.digit_timeout || '3s'));
  if (m.schedule) out.push('schedule: ' + m.schedule);
  if (m.record) out.push(recordLine(m.record));
  if ((m.extensions || []).length) out.push('☎ ' + m.extensions.join(', '));
  if (m.on_failure === undefined || m.on_failure === null) out.push('on failure: hang up');
  return out;
}

// owner finds the graph element a validation problem's path concerns:
// the edge or node with the longest path that is a prefix of it, and the
// menu node of the IVR it is in.
export function owners(graph, problemPath) {
  const isPrefix = (p) => p && (problemPath === p || problemPath.startsWith(p + '.') || problemPath.startsWith(p + '['));
  let best = null;
  let bestLen = -1;
  for (const e of graph.edges) {
    if (e.type !== 'timeout' && isPrefix(e.path) && e.path.length > bestLen) { best = {edge: e.id}; bestLen = e.path.length; }
  }
  for (const n of graph.nodes.values()) {
    if (isPrefix(n.path) && n.path.length > bestLen) { best = {node: n.id}; bestLen = n.path.length; }
  }
  const out = {edges: [], nodes: []};
  if (best && best.edge) out.edges.push(best.edge);
  if (best && best.node) out.nodes.push(best.node);
  const m = /^ivrs\[([^\]]*)\]/.exec(problemPath);
  if (m && graph.nodes.has('menu:' + m[1]) && !out.nodes.includes('menu:' + m[1])) out.nodes.push('menu:' + m[1]);
  return out;
}
