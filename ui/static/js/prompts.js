// Prompts: a picker of the names the server knows, playing one in the
// page, and uploading a new one. The audio is fetched with the token and
// given to <audio> as an object URL (an <audio src> could not send the
// Authorization header).

import * as api from './api.js';
import {h, field} from './dom.js';

let lastURL = '';

export async function play(name, statusEl) {
  const player = document.getElementById('player');
  try {
    const r = await api.call('GET', '/prompts/' + encodeURIComponent(name) + '/audio');
    if (lastURL) URL.revokeObjectURL(lastURL);
    lastURL = URL.createObjectURL(r.body);
    player.src = lastURL;
    player.hidden = false;
    player.dataset.prompt = name;
    // Autoplay may be refused until the user has interacted; the
    // controls are then there to press.
    await player.play().catch(() => {});
    if (statusEl) statusEl.textContent = 'Playing ' + name;
  } catch (e) {
    if (statusEl) statusEl.textContent = 'Cannot play ' + name + ': ' + e.message;
  }
}

// picker is a select of prompt names (with "none" when optional) and a
// play button; onChange gets the new name ('' for none).
export function picker(app, label, value, onChange, {optional = true, id} = {}) {
  const names = app.prompts.slice();
  if (value && !names.includes(value)) names.unshift(value); // unknown: kept, validation will say
  const sel = h('select', {id, 'aria-label': label},
    optional ? h('option', {value: ''}, '(none)') : null,
    names.map((n) => h('option', {value: n}, n + (app.prompts.includes(n) ? '' : ' (missing)'))));
  sel.value = value || '';
  sel.disabled = !app.canWrite;
  sel.addEventListener('change', () => onChange(sel.value));
  const btn = h('button', {type: 'button', class: 'play', 'aria-label': 'Play ' + label, title: 'Play'}, '▶');
  btn.addEventListener('click', () => { if (sel.value) play(sel.value); });
  const wrap = h('div', {class: 'picker'}, sel, btn);
  return label ? fieldWrap(label, sel, wrap) : wrap;
}

// fieldWrap labels control (inside wrap, beside its play button).
function fieldWrap(label, control, wrap) {
  const f = field(label, control);
  f.replaceChild(wrap, control);
  wrap.prepend(control);
  return f;
}

// uploadForm uploads a WAV under a name (PUT /prompts/NAME), then
// refreshes the list; done gets the name.
export function uploadForm(app, done) {
  const name = h('input', {id: 'up-name', type: 'text', placeholder: 'name, e.g. sales-welcome', pattern: '[A-Za-z0-9._-]+', spellcheck: 'false'});
  const file = h('input', {id: 'up-file', type: 'file', accept: 'audio/wav,audio/x-wav,.wav'});
  const msg = h('p', {class: 'muted', role: 'status', id: 'up-msg'});
  const btn = h('button', {type: 'button', id: 'up-btn'}, 'Upload');
  file.addEventListener('change', () => {
    if (!name.value && file.files[0]) name.value = file.files[0].name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]/g, '-');
  });
  btn.addEventListener('click', async () => {
    const f = file.files[0];
    if (!f || !name.value) { msg.textContent = 'Choose a WAV file and a name.'; return; }
    msg.textContent = 'Uploading…';
    try {
      await api.call('PUT', '/prompts/' + encodeURIComponent(name.value), {body: f, raw: true, type: 'audio/wav'});
      await app.reloadPrompts();
      msg.textContent = 'Uploaded ' + name.value + '.';
      // The panel may be drawn again by done: the page's status keeps it.
      app.status('Uploaded prompt ' + name.value + '.', 'ok');
      if (done) done(name.value);
    } catch (e) {
      msg.textContent = 'Upload failed: ' + e.message;
    }
  });
  return h('div', {class: 'upload edit-only'}, h('h3', {}, 'Upload a prompt'),
    field('Name', name), field('WAV file', file), btn, msg);
}

// What each state of a recording by phone says on the page.
const PHONE_STATES = {
  ringing: 'Ringing',
  answered: 'Answered: the phone hears the instructions',
  recording: 'Recording: speak after the beep, then press # on the phone',
  reviewing: 'Reviewing: on the phone, press 1 to keep, 2 to record again, * to cancel',
  saved: 'Saved',
  cancelled: 'Cancelled on the phone: nothing was saved',
  failed: 'Failed',
};
const FINAL = new Set(['saved', 'cancelled', 'failed']);

// phoneForm records a prompt by phone (POST
// /prompts/NAME/record-by-phone): ivrd calls the phone, the page follows
// the call until the recording is saved, cancelled or failed, then
// refreshes the list; done gets the name once saved.
export function phoneForm(app, done) {
  const name = h('input', {id: 'rp-name', type: 'text', placeholder: 'name, e.g. sales-welcome', pattern: '[A-Za-z0-9._-]+', spellcheck: 'false'});
  const to = h('input', {id: 'rp-to', type: 'text', placeholder: 'e.g. 1001 or sip:desk@pbx.example', spellcheck: 'false', autocomplete: 'off'});
  const trunk = h('select', {id: 'rp-trunk'}, h('option', {value: ''}, '(none: an extension or SIP URI)'),
    [...app.cfg.trunks.keys()].sort().map((t) => h('option', {value: t}, t)));
  const msg = h('p', {class: 'muted', role: 'status', id: 'rp-msg'});
  const btn = h('button', {type: 'button', id: 'rp-call'}, 'Call and record');
  btn.addEventListener('click', async () => {
    const n = name.value.trim();
    if (!n || !to.value.trim()) { msg.textContent = 'Give the prompt a name and the phone to call.'; return; }
    btn.disabled = true;
    msg.textContent = 'Calling ' + to.value.trim() + '…';
    try {
      const body = {to: to.value.trim()};
      if (trunk.value) body.trunk = trunk.value;
      const r = await api.call('POST', '/prompts/' + encodeURIComponent(n) + '/record-by-phone', {body});
      await follow(app, r.body, msg, done);
    } catch (e) {
      msg.textContent = 'Not called: ' + e.message;
    }
    btn.disabled = false;
  });
  return h('div', {class: 'upload edit-only', id: 'record-by-phone'}, h('h3', {}, 'Record by phone'),
    h('p', {class: 'muted'}, 'ivrd calls the phone: after the beep, speak, press #, then 1 to keep it.'),
    field('Prompt name to record', name), field('Phone to call', to), field('Trunk for an outside number', trunk), btn, msg);
}

// follow polls a recording by phone until it ends, saying each state.
async function follow(app, job, msg, done) {
  const path = '/prompts/' + encodeURIComponent(job.prompt) + '/record-by-phone/' + encodeURIComponent(job.id);
  const deadline = Date.now() + 15 * 60 * 1000;
  let state = '';
  while (Date.now() < deadline) {
    if (job.state !== state) {
      state = job.state;
      let text = (PHONE_STATES[state] || state) + (state === 'ringing' ? ' ' + job.to + '…' : '');
      if (state === 'saved') text = 'Saved prompt ' + job.prompt + ' (recorded by phone).';
      if (state === 'failed') text = 'Failed: ' + (job.reason || 'the call ended') + '. Nothing was saved.';
      msg.textContent = text;
    }
    if (FINAL.has(state)) break;
    await new Promise((res) => setTimeout(res, 500));
    job = (await api.call('GET', path)).body;
  }
  if (state !== 'saved') {
    app.status(msg.textContent, state === 'cancelled' ? '' : 'error');
    return;
  }
  await app.reloadPrompts();
  // The panel may be drawn again by done: the page's status keeps it.
  app.status(msg.textContent, 'ok');
  if (done) done(job.prompt);
}
