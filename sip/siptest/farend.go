package siptest

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
)

// FarEnd is a SIP phone for bridge tests: it answers (or not) as told,
// speaks PCMA with telephone-event at 96, and records what it receives.
type FarEnd struct {
	t    testing.TB
	addr netip.AddrPort
	rtp  *net.UDPConn
	mode string // answer, busy, noanswer, early
	// username and password, set by RequireAuth, make the phone
	// challenge the INVITE (401, digest) and accept only these
	// credentials. Under mu: the handler reads them on sipgo's goroutines.
	username, password string
	// Invites are the INVITEs received (after authentication, if any).
	Invites    chan *sip.Request
	mu         sync.Mutex
	dlg        *sipgo.DialogServerSession            // the latest call's, from its INVITE on
	dialogs    map[string]*sipgo.DialogServerSession // every call's, by Call-ID: for its ACK and BYE
	settled    *sipgo.DialogServerSession            // once answered: for the test's own requests
	answeredAt time.Time                             // when the 200 went out
	peer       netip.AddrPort
	got        []rtp.Packet
	Bye        chan struct{} // a BYE arrived
	// Notifys are the NOTIFYs received outside a call (message waiting,
	// RFC 3842), each answered 200.
	Notifys chan *sip.Request
	client  *sipgo.Client // for Register
	Cancel  chan struct{} // a ringing INVITE was cancelled
	stopRTP chan struct{}
	// toneHz is what the phone speaks: 1000 (the default), another
	// frequency, or 0 for silence; sentSinceTone counts the packets sent
	// since it was last set. Under mu.
	toneHz        float64
	sentSinceTone int
}

// NewFarEnd starts a phone on 127.0.0.1; mode is answer, busy, noanswer
// or early (183 with SDP, then 200).
func NewFarEnd(t testing.TB, mode string) *FarEnd {
	f := &FarEnd{t: t, mode: mode, Bye: make(chan struct{}, 1), Cancel: make(chan struct{}, 1), stopRTP: make(chan struct{}), Invites: make(chan *sip.Request, 4), Notifys: make(chan *sip.Request, 16), toneHz: 1000}
	ua, err := sipgo.NewUA()
	require.NoError(t, err)
	srv, _ := sipgo.NewServer(ua)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	f.addr = pc.LocalAddr().(*net.UDPAddr).AddrPort()
	client, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(int(f.addr.Port())))
	f.client = client
	dua := &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "far", Host: "127.0.0.1", Port: int(f.addr.Port())}}, RewriteContact: true}
	f.rtp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	go f.readRTP()
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		if user, _ := f.auth(); user != "" && !f.authorized(req) {
			res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
			res.AppendHeader(sip.NewHeader("WWW-Authenticate", `Digest realm="far", nonce="c0ffee42", algorithm=MD5`))
			tx.Respond(res)
			return
		}
		select {
		case f.Invites <- req:
		default:
		}
		if to := req.To(); to != nil && to.Params.Has("tag") {
			// re-INVITE: answer with our SDP, mirroring hold.
			body := f.sdp()
			if strings.Contains(string(req.Body()), "a=sendonly") {
				body = []byte(strings.Replace(string(body), "a=ptime:20", "a=ptime:20\r\na=recvonly", 1))
			}
			res := sip.NewResponseFromRequest(req, 200, "OK", body)
			res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			tx.Respond(res)
			return
		}
		dlg, err := dua.ReadInvite(req, tx)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.dlg = dlg
		if f.dialogs == nil {
			f.dialogs = map[string]*sipgo.DialogServerSession{}
		}
		f.dialogs[callID(req)] = dlg
		f.mu.Unlock()
		if ap, err := MediaAddr(req.Body()); err == nil {
			f.mu.Lock()
			f.peer = ap
			f.mu.Unlock()
		}
		answer := f.sdp()
		switch f.mode {
		case "busy":
			dlg.Respond(486, "Busy Here", nil)
		case "noanswer":
			dlg.Respond(180, "Ringing", nil)
			<-dlg.Context().Done()
			f.Cancel <- struct{}{}
		case "early":
			dlg.Respond(183, "Session Progress", answer, sip.NewHeader("Content-Type", "application/sdp"))
			go f.speak()
			time.Sleep(600 * time.Millisecond) // early media for a while: the phone's behaviour
			f.answered(dlg, answer)
		default:
			dlg.Respond(180, "Ringing", nil)
			time.Sleep(300 * time.Millisecond) // rings a while before answering: the phone's behaviour
			go f.speak()
			f.answered(dlg, answer)
		}
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		f.mu.Lock()
		d := f.dialogs[callID(req)]
		f.mu.Unlock()
		if d != nil {
			d.ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		f.mu.Lock()
		d := f.dialogs[callID(req)]
		f.mu.Unlock()
		if d != nil {
			d.ReadBye(req, tx)
		}
		// Tests wait for one BYE; a phone with several calls must not
		// stop answering when nobody reads the others.
		select {
		case f.Bye <- struct{}{}:
		default:
		}
	})
	srv.OnNotify(f.onNotify)
	t.Cleanup(func() {
		close(f.stopRTP)
		f.rtp.Close()
		pc.Close()
		ua.Close()
	})
	go srv.ServeUDP(pc) // once every handler is in place
	return f
}

// URI is where to call the phone.
func (f *FarEnd) URI() string { return fmt.Sprintf("sip:agent@%s", f.addr) }

func (f *FarEnd) sdp() []byte {
	port := f.rtp.LocalAddr().(*net.UDPAddr).Port
	return []byte(fmt.Sprintf("v=0\r\no=far 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=ptime:20\r\n", port))
}

func (f *FarEnd) readRTP() {
	buf := make([]byte, 1500)
	for {
		n, err := f.rtp.Read(buf)
		if err != nil {
			return
		}
		var p rtp.Packet
		if p.Unmarshal(append([]byte(nil), buf[:n]...)) == nil {
			f.mu.Lock()
			f.got = append(f.got, p)
			f.mu.Unlock()
		}
	}
}

// SetTone changes what the phone speaks from now on: a tone of hz, or
// silence for 0 (the phone still sends its packets, as a muted phone does).
func (f *FarEnd) SetTone(hz float64) {
	f.mu.Lock()
	f.toneHz, f.sentSinceTone = hz, 0
	f.mu.Unlock()
}

// SentSinceSetTone is how many 20 ms packets the phone has sent since
// SetTone: a test that wants a second of tone waits for 50 of them (a
// busy machine's timers make a wall-clock second hold fewer).
func (f *FarEnd) SentSinceSetTone() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sentSinceTone
}

// speak sends a 1 kHz tone (or what SetTone says) as PCMA to ivrd's leg until the call ends,
// as a phone does. Not a moment longer: ivrd hands that leg's port to a
// later call, whose media would latch onto this stale stream (every
// source on 127.0.0.1 is allowed) and drop that call's own packets.
func (f *FarEnd) speak() {
	f.mu.Lock()
	ended := f.dlg.Context().Done() // the call speak was started for
	f.mu.Unlock()
	var seq uint16
	var ts uint32
	for i := 0; ; i++ {
		select {
		case <-f.stopRTP:
			return
		case <-ended:
			return
		case <-time.After(20 * time.Millisecond):
		}
		f.mu.Lock()
		peer, hz := f.peer, f.toneHz
		f.sentSinceTone++
		f.mu.Unlock()
		payload := make([]byte, 160)
		for j := range payload {
			v := 0.0
			switch {
			case hz == 1000:
				v = sinTable((i*160 + j) % 8)
			case hz > 0:
				v = math.Sin(2 * math.Pi * hz * float64(i*160+j) / 8000)
			}
			payload[j] = g711.EncodeAlawFrame(int16(6000 * v))
		}
		seq++
		ts += 160
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: seq, Timestamp: ts, SSRC: 7}, Payload: payload}).Marshal()
		f.rtp.WriteToUDPAddrPort(b, peer)
	}
}

// sinTable is a 1 kHz sine at 8 kHz (8 samples a period).
func sinTable(i int) float64 {
	return [8]float64{0, 0.7071, 1, 0.7071, 0, -0.7071, -1, -0.7071}[i]
}

// Packets are the RTP packets the phone received.
func (f *FarEnd) Packets() []rtp.Packet {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rtp.Packet(nil), f.got...)
}

// Dialog is the phone's side of the call, once it has answered (it
// waits up to 3 s for that).
func (f *FarEnd) Dialog() *sipgo.DialogServerSession {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); <-tick.C {
		f.mu.Lock()
		d := f.settled
		f.mu.Unlock()
		if d != nil {
			return d
		}
	}
	f.t.Fatal("siptest: the far end never answered")
	return nil
}

// answered sends the 200 and then lets the test use the dialog.
func (f *FarEnd) answered(dlg *sipgo.DialogServerSession, answer []byte) {
	f.mu.Lock()
	f.answeredAt = time.Now() // before the 200: nothing it causes comes earlier
	f.mu.Unlock()
	dlg.RespondSDP(answer)
	f.mu.Lock()
	f.settled = dlg
	f.mu.Unlock()
}

// AnsweredAt is when the phone sent its 200 to the last INVITE it
// answered (zero before): what reached the caller earlier was early media.
func (f *FarEnd) AnsweredAt() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.answeredAt
}

// SinTable is exported for tests that send the same 1 kHz tone.
func SinTable(i int) float64 { return sinTable(i) }

// authorized checks an INVITE's digest response against the phone's
// credentials.
func (f *FarEnd) authorized(req *sip.Request) bool {
	h := req.GetHeader("Authorization")
	if h == nil {
		return false
	}
	user, pass := f.auth()
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Username != user {
		return false
	}
	chal := &digest.Challenge{Realm: "far", Nonce: "c0ffee42", Algorithm: "MD5"}
	want, err := digest.Digest(chal, digest.Options{Method: "INVITE", URI: cred.URI, Username: user, Password: pass})
	return err == nil && want.Response == cred.Response
}

// RequireAuth makes the phone challenge INVITEs and accept only these
// digest credentials.
func (f *FarEnd) RequireAuth(user, password string) {
	f.mu.Lock()
	f.username, f.password = user, password
	f.mu.Unlock()
}

func (f *FarEnd) auth() (user, password string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.username, f.password
}

func callID(req *sip.Request) string {
	if h := req.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// PressKey sends one RFC 4733 key press (telephone-event 96, as the
// phone's SDP says) to the call's media, paced as a phone paces it: the
// answering party of a call ivrd placed answers its menu.
func (f *FarEnd) PressKey(key byte, timestamp uint32) error {
	f.mu.Lock()
	peer := f.peer
	f.mu.Unlock()
	seq := uint16(timestamp)
	send := func(marker, end bool, duration uint16) error {
		seq++
		b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: timestamp, SSRC: 7, Marker: marker},
			Payload: EventPayload(key, end, 10, duration)}).Marshal()
		if err != nil {
			return err
		}
		_, err = f.rtp.WriteToUDPAddrPort(b, peer)
		return err
	}
	duration := uint16(400)
	if err := send(true, false, duration); err != nil {
		return err
	}
	for range 3 {
		time.Sleep(50 * time.Millisecond) // a phone's pace, not a wait for the server
		duration += 400
		if err := send(false, false, duration); err != nil {
			return err
		}
	}
	for range 3 {
		if err := send(false, true, duration); err != nil {
			return err
		}
	}
	return nil
}
