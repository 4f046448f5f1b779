// sipphone.js: a small SIP-over-WebSocket (RFC 7118) user agent for
// WebRTC calls from the browser to ivrd: INVITE with the browser's SDP
// offer, ACK, BYE either way, digest authentication when challenged,
// RFC 4733 digits through RTCDTMFSender. It is written for ivrd only
// (no proxy routing, no re-INVITE of its own, no REGISTER): enough to
// call an IVR from its page in the UI, and for the browser tests.

const te = new TextEncoder();

function rand(n) {
  const a = new Uint8Array(n);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => (b % 36).toString(36)).join('');
}

// parse reads one SIP message (a WebSocket text frame holds exactly one).
export function parseSIP(text) {
  const sep = text.indexOf('\r\n\r\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep + 4);
  const lines = head.split('\r\n');
  const start = lines.shift() || '';
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const name = l.slice(0, i).trim().toLowerCase();
    (headers[name] = headers[name] || []).push(l.slice(i + 1).trim());
  }
  const m = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(start);
  if (m) return { status: Number(m[1]), reason: m[2], headers, body };
  const r = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(start);
  if (r) return { method: r[1], uri: r[2], headers, body };
  return null;
}

function header(msg, name) {
  const v = msg.headers[name] || msg.headers[{ 'call-id': 'i', from: 'f', to: 't', via: 'v', contact: 'm' }[name]];
  return v ? v[0] : '';
}

function uriOf(nameAddr) {
  const m = /<([^>]+)>/.exec(nameAddr);
  return m ? m[1] : nameAddr.split(';')[0].trim();
}

// A small MD5 (RFC 1321) for digest authentication: WebCrypto has none.
function md5(str) {
  const bytes = te.encode(str);
  const n = ((bytes.length + 8) >> 6) + 1;
  const w = new Uint32Array(n * 16);
  for (let i = 0; i < bytes.length; i++) w[i >> 2] |= bytes[i] << ((i % 4) * 8);
  w[bytes.length >> 2] |= 0x80 << ((bytes.length % 4) * 8);
  w[n * 16 - 2] = bytes.length * 8;
  const s = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  const k = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);
  let [a0, b0, c0, d0] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  for (let off = 0; off < w.length; off += 16) {
    let [a, b, c, d] = [a0, b0, c0, d0];
    for (let i = 0; i < 64; i++) {
      let f, g;
      if (i < 16) { f = (b & c) | (~b & d); g = i; }
      else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
      else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
      else { f = c ^ (b | ~d); g = (7 * i) % 16; }
      const sh = s[(i >> 4) * 4 + (i % 4)];
      const x = (a + f + k[i] + w[off + g]) >>> 0;
      a = d; d = c; c = b;
      b = (b + ((x << sh) | (x >>> (32 - sh)))) >>> 0;
    }
    a0 = (a0 + a) >>> 0; b0 = (b0 + b) >>> 0; c0 = (c0 + c) >>> 0; d0 = (d0 + d) >>> 0;
  }
  return [a0, b0, c0, d0].map((v) => Array.from({ length: 4 }, (_, i) => ((v >>> (i * 8)) & 0xff).toString(16).padStart(2, '0')).join('')).join('');
}

function digestParams(value) {
  const out = {};
  const re = /(\w+)=("([^"]*)"|[^,\s]+)/g;
  let m;
  while ((m = re.exec(value)) !== null) out[m[1].toLowerCase()] = m[3] !== undefined ? m[3] : m[2];
  return out;
}

// SipPhone places one call at a time. events: onState(text),
// onTrack(MediaStream), onEnded(reason).
export class SipPhone {
  constructor({ wsUrl, user = 'browser', password = '', domain = 'ivrd', events = {} }) {
    Object.assign(this, { wsUrl, user, password, domain, events });
    this.host = rand(12) + '.invalid';
    this.transport = wsUrl.startsWith('wss:') ? 'WSS' : 'WS';
    this.callId = '';
  }

  state(s) { if (this.events.onState) this.events.onState(s); }

  connect() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.wsUrl, 'sip');
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('cannot connect to ' + this.wsUrl));
      ws.onclose = () => { if (this.pc) this.finish('connection closed'); };
      ws.onmessage = (ev) => this.receive(String(ev.data));
      this.ws = ws;
    });
  }

  send(text) { this.ws.send(text); }

  via(branch) { return `SIP/2.0/${this.transport} ${this.host};branch=${branch};rport`; }

  request(method, uri, extra, body = '') {
    const lines = [`${method} ${uri} SIP/2.0`, `Via: ${this.via('z9hG4bK' + rand(12))}`, 'Max-Forwards: 70',
      `From: <sip:${this.user}@${this.domain}>;tag=${this.fromTag}`, `To: ${this.toHeader}`,
      `Call-ID: ${this.callId}`, ...extra, `Content-Length: ${te.encode(body).length}`];
    return lines.join('\r\n') + '\r\n\r\n' + body;
  }

  // call dials target (an IVR's number) with the microphone stream.
  async call(target, stream) {
    await this.connect();
    this.target = `sip:${target}@${this.domain}`;
    this.callId = rand(20);
    this.fromTag = rand(10);
    this.toHeader = `<${this.target}>`;
    this.cseq = 1;
    this.auth = '';
    this.pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.pc.ontrack = (ev) => { if (this.events.onTrack) this.events.onTrack(ev.streams[0] || new MediaStream([ev.track])); };
    for (const t of stream.getAudioTracks()) this.pc.addTrack(t, stream);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await this.gathered();
    this.offer = this.pc.localDescription.sdp;
    this.sendInvite();
    this.state('calling');
  }

  gathered() {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (this.pc && this.pc.iceGatheringState === 'complete') resolve(); };
      this.pc.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, 3000); // what has been gathered by then is offered
    });
  }

  sendInvite() {
    const extra = [`CSeq: ${this.cseq} INVITE`, `Contact: <sip:${this.user}@${this.host};transport=ws>`,
      'Content-Type: application/sdp', 'Allow: INVITE, ACK, BYE, CANCEL, OPTIONS', 'User-Agent: ivrd-ui-phone'];
    if (this.auth) extra.push(this.auth);
    this.inviteBranchMsg = this.request('INVITE', this.target, extra, this.offer);
    this.send(this.inviteBranchMsg);
  }

  receive(text) {
    const msg = parseSIP(text);
    if (!msg) return;
    if (msg.status) this.onResponse(msg);
    else this.onRequest(msg);
  }

  onResponse(res) {
    const cseq = header(res, 'cseq');
    if (!cseq.endsWith('INVITE')) return;
    if (res.status < 200) { if (res.status === 180 || res.status === 183) this.state('ringing'); return; }
    // Every final answer to INVITE is ACKed; a 2xx with its own request.
    if (res.status >= 300) {
      this.ackFailure(res);
      if ((res.status === 401 || res.status === 407) && this.password && !this.triedAuth) {
        this.triedAuth = true;
        this.authorize(res);
        return;
      }
      this.finish(`refused: ${res.status} ${res.reason}`);
      return;
    }
    if (this.answered) { this.ack(); return; } // a repeated 200
    this.answered = true;
    this.toHeader = header(res, 'to');
    this.remoteTarget = uriOf(header(res, 'contact')) || this.target;
    this.ack();
    this.pc.setRemoteDescription({ type: 'answer', sdp: res.body })
      .then(() => { this.started = Date.now(); this.state('connected'); })
      .catch((e) => { this.state('media failed: ' + e.message); this.hangup(); });
  }

  ackFailure(res) {
    const via = header(this.inviteBranchMsg ? parseSIP(this.inviteBranchMsg) : res, 'via');
    const lines = [`ACK ${this.target} SIP/2.0`, `Via: ${via}`, 'Max-Forwards: 70',
      `From: <sip:${this.user}@${this.domain}>;tag=${this.fromTag}`, `To: ${header(res, 'to')}`,
      `Call-ID: ${this.callId}`, `CSeq: ${this.cseq} ACK`, 'Content-Length: 0'];
    this.send(lines.join('\r\n') + '\r\n\r\n');
  }

  authorize(res) {
    const chal = digestParams(header(res, 'www-authenticate') || header(res, 'proxy-authenticate'));
    const ha1 = md5(`${this.user}:${chal.realm}:${this.password}`);
    const ha2 = md5(`INVITE:${this.target}`);
    const name = res.status === 407 ? 'Proxy-Authorization' : 'Authorization';
    let value = `Digest username="${this.user}", realm="${chal.realm}", nonce="${chal.nonce}", uri="${this.target}", algorithm=MD5`;
    if (chal.qop && chal.qop.split(',').map((q) => q.trim()).includes('auth')) {
      const cnonce = rand(12);
      value += `, qop=auth, nc=00000001, cnonce="${cnonce}", response="${md5(`${ha1}:${chal.nonce}:00000001:${cnonce}:auth:${ha2}`)}"`;
    } else {
      value += `, response="${md5(`${ha1}:${chal.nonce}:${ha2}`)}"`;
    }
    this.auth = `${name}: ${value}`;
    this.cseq++;
    this.sendInvite();
  }

  ack() {
    this.send(this.request('ACK', this.remoteTarget, [`CSeq: ${this.cseq} ACK`]));
  }

  onRequest(req) {
    const reply = (status, reason) => {
      const lines = [`SIP/2.0 ${status} ${reason}`];
      for (const v of req.headers.via || req.headers.v || []) lines.push(`Via: ${v}`);
      lines.push(`From: ${header(req, 'from')}`, `To: ${header(req, 'to')}`, `Call-ID: ${header(req, 'call-id')}`,
        `CSeq: ${header(req, 'cseq')}`, 'Content-Length: 0');
      this.send(lines.join('\r\n') + '\r\n\r\n');
    };
    switch (req.method) {
      case 'BYE':
        reply(200, 'OK');
        this.finish('hung up by ivrd');
        break;
      case 'ACK':
        break;
      case 'OPTIONS':
        reply(200, 'OK');
        break;
      default:
        reply(req.method === 'INVITE' ? 488 : 501, req.method === 'INVITE' ? 'Not Acceptable Here' : 'Not Implemented');
    }
  }

  // sendDigit presses a key: RFC 4733 events through the browser's sender.
  sendDigit(key) {
    const sender = this.pc && this.pc.getSenders().find((s) => s.dtmf);
    if (sender && sender.dtmf.canInsertDTMF) sender.dtmf.insertDTMF(key, 120, 80);
  }

  hangup() {
    if (!this.pc) return;
    if (this.answered) {
      this.cseq++;
      this.send(this.request('BYE', this.remoteTarget, [`CSeq: ${this.cseq} BYE`]));
    } else if (this.inviteBranchMsg) {
      const inv = parseSIP(this.inviteBranchMsg);
      const lines = [`CANCEL ${this.target} SIP/2.0`, `Via: ${header(inv, 'via')}`, 'Max-Forwards: 70',
        `From: <sip:${this.user}@${this.domain}>;tag=${this.fromTag}`, `To: <${this.target}>`,
        `Call-ID: ${this.callId}`, `CSeq: ${this.cseq} CANCEL`, 'Content-Length: 0'];
      this.send(lines.join('\r\n') + '\r\n\r\n');
    }
    this.finish('hung up');
  }

  finish(reason) {
    if (!this.pc) return;
    this.pc.close();
    this.pc = null;
    this.answered = false;
    this.triedAuth = false;
    this.state('ended');
    if (this.events.onEnded) this.events.onEnded(reason);
  }
}
