// The destination model as the API describes it: the kinds and their
// fields come from the Destination schema of /api/v1/openapi.json, read
// once at load, so a kind the server learns appears in the editor
// without a change here. The tables below only say how a field is used
// (which kinds it goes with); a field they do not know is offered as a
// kind of its own with a text target.

import * as api from './api.js';

// Fields that qualify a destination rather than choose its kind, and the
// kinds each applies to.
export const MODIFIERS = {
  trunk: ['external'],
  transfer: ['uri', 'external', 'extension'],
  ring_timeout: ['uri', 'external', 'extension', 'group'],
  overflow: ['uri', 'external', 'extension', 'group'],
  then: ['play', 'set_language', 'webhook', 'gather', 'stream'],
  prompt: [], // play's older spelling
  event: ['webhook'],
  data: [],
  timeout: ['ask', 'stream'],
  hold: ['ask'],
  fallback: ['gather', 'ask', 'stream'],
  record: [], // record: true or {announce, format}: kept as written, shown on the chart
};

// WORDS are the destinations written as a bare word.
export const WORD_KINDS = ['hangup', 'repeat', 'back', 'top'];

// The kinds known before the schema is read (and kept if a server's
// schema leaves one out).
const BUILTIN = ['ivr', 'uri', 'external', 'extension', 'voicemail', 'play'];

// loadSchema reads the Destination schema; on failure (an old server)
// the built-in kinds stay. It returns {kinds, fields, gather}: the
// mapping kinds in the editor's order, every property's schema, and the
// gather object's properties.
export async function loadSchema() {
  let props = {};
  let words = WORD_KINDS;
  try {
    const r = await api.call('GET', '/openapi.json');
    const dest = r.body.components.schemas.Destination;
    for (const alt of dest.oneOf || []) {
      if (alt.type === 'object') props = alt.properties || {};
      if (alt.type === 'string' && alt.enum) words = alt.enum.filter((w) => w !== 'menu');
    }
  } catch {
    // keep the built-in list
  }
  const fromSchema = Object.keys(props).filter((p) => !(p in MODIFIERS));
  const kinds = [...BUILTIN, ...fromSchema.filter((k) => !BUILTIN.includes(k))];
  // conference is a kind the configuration takes even where a schema
  // does not list it yet.
  if (!kinds.includes('conference')) kinds.push('conference');
  const gather = (props.gather && props.gather.properties) || {};
  return {kinds: [...kinds, ...words.filter((w) => !kinds.includes(w))], fields: props, gather};
}
