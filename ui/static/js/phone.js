// The page's phone: "Call" rings the IVR on the chart from the browser
// (WebRTC over the server's ws:// or wss:// listener, sipphone.js), with
// a dial pad sending RFC 4733 digits, a hang-up button and a timer. The
// microphone is asked for only when Call is pressed.

import {h, fill} from './dom.js';
import {SipPhone} from './sipphone.js';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export class Phone {
  constructor(app, el, button) {
    Object.assign(this, {app, el, button});
    this.sip = null;
    this.mic = null;
    this.timer = 0;
    this.player = new Audio();
    this.player.autoplay = true;
    button.addEventListener('click', () => (this.sip && this.sip.pc ? this.hangup() : this.call()));
  }

  // number is what the chart's IVR is dialled on (its first number).
  number() {
    const ivr = this.app.ivr(this.app.root);
    return ivr && ivr.extensions && ivr.extensions.length ? String(ivr.extensions[0]) : '';
  }

  show(state, detail) {
    const pad = h('div', {class: 'dialpad', role: 'group', 'aria-label': 'Dial pad'},
      KEYS.map((k) => h('button', {type: 'button', 'data-key': k, 'aria-label': 'key ' + k,
        disabled: state !== 'connected', onclick: () => this.press(k)}, k)));
    fill(this.el,
      h('div', {class: 'phone-head'},
        h('strong', {}, 'Call ' + (this.dialled || this.number() || '')),
        h('span', {id: 'phone-state', role: 'status'}, state + (detail ? ': ' + detail : '')),
        h('span', {id: 'phone-timer', class: 'timer'}, this.elapsed())),
      pad,
      h('button', {type: 'button', id: 'phone-hangup', class: 'danger', disabled: !(this.sip && this.sip.pc), onclick: () => this.hangup()}, 'Hang up'));
    this.el.hidden = false;
    this.state = state;
    this.button.textContent = this.sip && this.sip.pc ? 'Hang up' : 'Call';
  }

  elapsed() {
    if (!this.sip || !this.sip.started) return '0:00';
    const s = Math.floor((Date.now() - this.sip.started) / 1000);
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }

  async call() {
    this.dialled = this.number();
    if (!this.dialled) {
      this.show('not possible', 'this IVR has no number to call (extensions)');
      return;
    }
    let where;
    try {
      where = await (await fetch('phone.json', {cache: 'no-store'})).json();
    } catch (e) {
      this.show('not possible', 'cannot ask the server where to call: ' + e.message);
      return;
    }
    if (!where.ws_port) {
      this.show('not possible', 'the server has no ws:// or wss:// listener (server.sip.listen)');
      return;
    }
    const url = (where.secure ? 'wss://' : 'ws://') + location.hostname + ':' + where.ws_port;
    try {
      this.mic = await navigator.mediaDevices.getUserMedia({audio: true}); // asked only now
    } catch (e) {
      this.show('no microphone', e.message);
      return;
    }
    this.sip = new SipPhone({wsUrl: url, events: {
      onState: (s) => this.show(s),
      onTrack: (stream) => { this.player.srcObject = stream; this.player.play().catch(() => {}); },
      onEnded: (why) => this.ended(why),
    }});
    window.ivrdPhone = this.sip; // for the browser tests
    this.timer = setInterval(() => {
      const t = document.getElementById('phone-timer');
      if (t) t.textContent = this.elapsed();
    }, 1000);
    try {
      await this.sip.call(this.dialled, this.mic);
    } catch (e) {
      this.ended('failed: ' + e.message);
    }
  }

  press(key) {
    if (this.sip) this.sip.sendDigit(key);
  }

  hangup() {
    if (this.sip) this.sip.hangup();
  }

  ended(why) {
    clearInterval(this.timer);
    if (this.mic) for (const t of this.mic.getTracks()) t.stop();
    this.mic = null;
    this.player.srcObject = null;
    const sip = this.sip;
    this.show('ended', why);
    if (sip && sip.ws) sip.ws.close();
  }
}
