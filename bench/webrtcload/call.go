package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/coder/websocket"
)

// callConfig is what every call shares.
type callConfig struct {
	WSURL   string // ws://HOST:PORT
	Host    string // the host part of our URIs and the Request-URI
	To      string // the number called
	Hold    time.Duration
	Opus    bool
	Cert    tls.Certificate
	FP      string             // Cert's sha-256 fingerprint
	Frames  map[uint8][][]byte // a second of 20 ms frames per payload type
	Window  *window
	Timeout time.Duration // per step of the setup (INVITE, ICE, DTLS)
	// SetUp is told once per call when its setup ended: when its
	// media has keys (ok) or it failed.
	SetUp func(ok bool)
}

// callResult is one call's outcome.
type callResult struct {
	Err      error  // nil: set up and held
	Stage    string // where it failed: websocket, invite, ice, dtls
	Status   int    // the INVITE's final status when not 200
	ByServer bool   // the server sent BYE before the hold ended
	ByeLost  bool   // our BYE got no 200
	Stats    *recvStats
}

// call is one caller's dialog state.
type call struct {
	cfg             *callConfig
	ws              *websocket.Conn
	callID, tag     string
	localUfrag, pwd string
	remoteTo        string // the To of the 200, with the server's tag
	target          string // the 200's Contact, where in-dialog requests go
	tiebreaker      uint64
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func (c *call) via() string {
	return "SIP/2.0/WS " + c.tag + ".invalid;branch=z9hG4bK" + randHex(8) + ";rport"
}

func (c *call) from() string { return "<sip:webrtcload@" + c.cfg.Host + ">;tag=" + c.tag }

func (c *call) request(method string, cseq int, body []byte) request {
	uri := "sip:" + c.cfg.To + "@" + c.cfg.Host
	to := "<" + uri + ">"
	if c.remoteTo != "" {
		to = c.remoteTo
		if c.target != "" {
			uri = c.target
		}
	}
	return request{Method: method, URI: uri, Via: c.via(), From: c.from(), To: to, CallID: c.callID,
		Contact: "sip:webrtcload@" + c.tag + ".invalid;transport=ws", CSeq: cseq, Body: body}
}

func (c *call) write(ctx context.Context, msg []byte) error {
	return c.ws.Write(ctx, websocket.MessageText, msg)
}

// placeCall runs one call from its INVITE to the 200 of its BYE.
func placeCall(ctx context.Context, cfg *callConfig) callResult {
	c := &call{cfg: cfg, callID: randHex(12), tag: randHex(6), localUfrag: randHex(4), pwd: randHex(12)}
	var tb [8]byte
	_, _ = rand.Read(tb[:])
	c.tiebreaker = binary.BigEndian.Uint64(tb[:])
	res := callResult{Stats: &recvStats{}}
	reported := false
	report := func(ok bool) {
		if !reported {
			reported = true
			cfg.SetUp(ok)
		}
	}
	defer report(false)
	m, err := openMedia(cfg.Window)
	if err != nil {
		return callResult{Err: err, Stage: "websocket", Stats: res.Stats}
	}
	defer m.close()
	res.Stats = &m.stats

	dctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	ws, _, err := websocket.Dial(dctx, cfg.WSURL, &websocket.DialOptions{Subprotocols: []string{"sip"}})
	cancel()
	if err != nil {
		res.Err, res.Stage = err, "websocket"
		return res
	}
	c.ws = ws
	defer func() { _ = ws.Close(websocket.StatusNormalClosure, "") }()
	ws.SetReadLimit(65535)

	a, status, err := c.invite(ctx, m)
	if err != nil {
		res.Err, res.Stage, res.Status = err, "invite", status
		return res
	}
	bye := make(chan struct{})      // the server's BYE
	byeOK := make(chan struct{}, 1) // the 200 of ours
	readCtx, stopRead := context.WithCancel(ctx)
	defer stopRead()
	go c.serve(readCtx, bye, byeOK)

	step, cancel := context.WithTimeout(ctx, cfg.Timeout)
	err = m.connect(step, c.localUfrag, a, c.tiebreaker)
	cancel()
	if err != nil {
		res.Err, res.Stage = err, "ice"
		c.hangUp(ctx, byeOK)
		return res
	}
	step, cancel = context.WithTimeout(ctx, cfg.Timeout)
	err = m.handshake(step, cfg.Cert, a)
	cancel()
	if err != nil {
		res.Err, res.Stage = err, "dtls"
		c.hangUp(ctx, byeOK)
		return res
	}
	frames := cfg.Frames[a.PT]
	if frames == nil {
		res.Err, res.Stage = fmt.Errorf("the answer chose payload type %d, which was not offered", a.PT), "invite"
		c.hangUp(ctx, byeOK)
		return res
	}
	report(true)
	res.ByServer = c.stream(ctx, m, a, frames, time.Now().Add(cfg.Hold), bye)
	if !res.ByServer {
		res.ByeLost = !c.hangUp(ctx, byeOK)
	}
	return res
}

// invite sends the INVITE and ACKs its 200; it returns the answer, or
// the final status and an error.
func (c *call) invite(ctx context.Context, m *media) (answer, int, error) {
	o := offer{Port: m.port(), Ufrag: c.localUfrag, Pwd: c.pwd, Fingerprint: c.cfg.FP, Opus: c.cfg.Opus}
	var b [12]byte
	_, _ = rand.Read(b[:])
	o.SSRC, o.SessionID = binary.BigEndian.Uint32(b[:4]), binary.BigEndian.Uint64(b[4:])>>1
	if err := c.write(ctx, c.request("INVITE", 1, o.sdp()).bytes()); err != nil {
		return answer{}, 0, err
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	for {
		_, data, err := c.ws.Read(rctx)
		if err != nil {
			return answer{}, 0, fmt.Errorf("no final answer to the INVITE: %w", err)
		}
		msg, err := parseSIP(data)
		if err != nil {
			return answer{}, 0, err
		}
		if msg.Status == 0 || msg.CSeqMethod != "INVITE" || msg.CallID != c.callID || msg.Status < 200 {
			continue
		}
		if msg.Status >= 300 {
			return answer{}, msg.Status, fmt.Errorf("INVITE answered %d %s", msg.Status, msg.Reason)
		}
		c.remoteTo, c.target = msg.To, msg.Contact
		if err := c.write(ctx, c.request("ACK", 1, nil).bytes()); err != nil {
			return answer{}, 0, err
		}
		a, err := parseAnswer(msg.Body)
		return a, 0, err
	}
}

// serve answers the server's requests in the dialog (BYE: 200, and bye
// is closed) and reports the 200 to our BYE, until ctx ends.
func (c *call) serve(ctx context.Context, bye chan<- struct{}, byeOK chan<- struct{}) {
	closed := false
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		msg, err := parseSIP(data)
		if err != nil {
			continue
		}
		switch {
		case msg.Method == "BYE":
			_ = c.write(ctx, response(msg, 200, "OK"))
			if !closed {
				close(bye)
				closed = true
			}
		case msg.Method == "OPTIONS":
			_ = c.write(ctx, response(msg, 200, "OK"))
		case msg.Method != "" && msg.Method != "ACK":
			_ = c.write(ctx, response(msg, 501, "Not Implemented"))
		case msg.Status >= 200 && msg.CSeqMethod == "BYE":
			byeOK <- struct{}{}
		}
	}
}

// hangUp sends BYE and waits for its 200 (false: none in time).
func (c *call) hangUp(ctx context.Context, byeOK <-chan struct{}) bool {
	if c.write(ctx, c.request("BYE", 2, nil).bytes()) != nil {
		return false
	}
	t := time.NewTimer(c.cfg.Timeout)
	defer t.Stop()
	select {
	case <-byeOK:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// stream sends the caller's packets every 20 ms until the hold ends (or
// the server hangs up: true), with a consent check every 5 s.
func (c *call) stream(ctx context.Context, m *media, a answer, frames [][]byte, until time.Time, bye <-chan struct{}) bool {
	ticks := uint32(160)
	if a.PT == ptOpus {
		ticks = 960 // Opus's RTP clock is 48 kHz whatever the audio's rate
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	seq, ts, ssrc := binary.BigEndian.Uint16(b[:2]), uint32(0), binary.BigEndian.Uint32(b[2:])
	plain := make([]byte, 1500)
	out := make([]byte, 1500)
	tick := time.NewTicker(frameInterval)
	defer tick.Stop()
	end := time.NewTimer(time.Until(until))
	defer end.Stop()
	for i := 0; ; i++ {
		select {
		case <-tick.C:
		case <-end.C:
			return false
		case <-bye:
			return true
		case <-ctx.Done():
			return false
		}
		f := frames[i%len(frames)]
		plain[0], plain[1] = 0x80, a.PT
		if i == 0 {
			plain[1] |= 0x80 // marker: the first packet of a talk spurt
		}
		binary.BigEndian.PutUint16(plain[2:], seq)
		binary.BigEndian.PutUint32(plain[4:], ts)
		binary.BigEndian.PutUint32(plain[8:], ssrc)
		n := 12 + copy(plain[12:], f)
		pkt, err := m.send.EncryptRTP(out[:0], plain[:n], nil)
		if err == nil {
			_, _ = m.conn.WriteToUDPAddrPort(pkt, m.to)
		}
		seq++
		ts += ticks
		if i%250 == 249 {
			m.consent(c.localUfrag, a, c.tiebreaker)
		}
	}
}
