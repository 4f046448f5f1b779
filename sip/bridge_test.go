package sip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/sip/siptest"
)

// farEnd is a SIP phone for bridge tests: it answers (or not) as told,
// speaks PCMA with telephone-event at 96, and records what it receives.
type farEnd struct {
	t       *testing.T
	addr    netip.AddrPort
	rtp     *net.UDPConn
	mode    string // answer, busy, noanswer, early
	mu      sync.Mutex
	dlg     *sipgo.DialogServerSession
	peer    netip.AddrPort
	got     []rtp.Packet
	bye     chan struct{}
	cancel  chan struct{}
	stopRTP chan struct{}
}

func newFarEnd(t *testing.T, mode string) *farEnd {
	f := &farEnd{t: t, mode: mode, bye: make(chan struct{}, 1), cancel: make(chan struct{}, 1), stopRTP: make(chan struct{})}
	ua, err := sipgo.NewUA()
	require.NoError(t, err)
	srv, _ := sipgo.NewServer(ua)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	f.addr = pc.LocalAddr().(*net.UDPAddr).AddrPort()
	go srv.ServeUDP(pc)
	client, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(int(f.addr.Port())))
	dua := &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "far", Host: "127.0.0.1", Port: int(f.addr.Port())}}, RewriteContact: true}
	f.rtp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	go f.readRTP()
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		dlg, err := dua.ReadInvite(req, tx)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.dlg = dlg
		f.mu.Unlock()
		if ap, err := siptest.MediaAddr(req.Body()); err == nil {
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
			f.cancel <- struct{}{}
		case "early":
			dlg.Respond(183, "Session Progress", answer, sip.NewHeader("Content-Type", "application/sdp"))
			go f.speak()
			time.Sleep(600 * time.Millisecond)
			dlg.RespondSDP(answer)
		default:
			dlg.Respond(180, "Ringing", nil)
			time.Sleep(300 * time.Millisecond)
			go f.speak()
			dlg.RespondSDP(answer)
		}
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		f.mu.Lock()
		d := f.dlg
		f.mu.Unlock()
		if d != nil {
			d.ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		f.mu.Lock()
		d := f.dlg
		f.mu.Unlock()
		if d != nil {
			d.ReadBye(req, tx)
		}
		f.bye <- struct{}{}
	})
	t.Cleanup(func() {
		close(f.stopRTP)
		f.rtp.Close()
		pc.Close()
		ua.Close()
	})
	return f
}

func (f *farEnd) uri() string { return fmt.Sprintf("sip:agent@%s", f.addr) }

func (f *farEnd) sdp() []byte {
	port := f.rtp.LocalAddr().(*net.UDPAddr).Port
	return []byte(fmt.Sprintf("v=0\r\no=far 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=ptime:20\r\n", port))
}

func (f *farEnd) readRTP() {
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

// speak sends a 1 kHz tone as PCMA to ivrd's leg.
func (f *farEnd) speak() {
	var seq uint16
	var ts uint32
	for i := 0; ; i++ {
		select {
		case <-f.stopRTP:
			return
		case <-time.After(20 * time.Millisecond):
		}
		f.mu.Lock()
		peer := f.peer
		f.mu.Unlock()
		payload := make([]byte, 160)
		for j := range payload {
			payload[j] = g711.EncodeAlawFrame(int16(6000 * sinTable((i*160+j)%8)))
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

func (f *farEnd) packets() []rtp.Packet {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rtp.Packet(nil), f.got...)
}

// loud reports whether decoded packets carry sound, not silence.
func loud(payload []byte, pcma bool) bool {
	for _, b := range payload {
		v := g711.DecodeUlawFrame(b)
		if pcma {
			v = g711.DecodeAlawFrame(b)
		}
		if v > 2000 || v < -2000 {
			return true
		}
	}
	return false
}

// bridgeHandler bridges every call to target and reports the outcome.
type bridgeHandler struct {
	out    Outbound
	result chan error
	calls  chan *Call
}

func (h *bridgeHandler) Route(string) bool { return true }
func (h *bridgeHandler) Serve(ctx context.Context, c *Call) {
	h.calls <- c
	_, err := c.Bridge(ctx, h.out)
	h.result <- err
	<-ctx.Done()
}

func bridgeRig(t *testing.T, out Outbound) (*rig, *bridgeHandler) {
	r := newRig(t, nil)
	h := &bridgeHandler{out: out, result: make(chan error, 1), calls: make(chan *Call, 1)}
	r.srv.handler = h
	return r, h
}

func TestBridgeRelaysAudioAndDigitsAndCarriesBye(t *testing.T) {
	far := newFarEnd(t, "answer")
	r, h := bridgeRig(t, Outbound{URI: far.uri()})
	c := r.caller("udp")
	call, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	<-h.calls
	require.NoError(t, <-h.result)
	// Caller speaks PCMU; the far end must hear it as PCMA.
	var seq uint16
	for i := 0; i < 25; i++ {
		payload := make([]byte, 160)
		for j := range payload {
			payload[j] = g711.EncodeUlawFrame(int16(6000 * sinTable(j%8)))
		}
		seq++
		require.NoError(t, c.SendRTP(call.Media, rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 9}, payload))
		time.Sleep(20 * time.Millisecond)
	}
	// A key press relayed as an event with the far end's payload type 96.
	for i, end := range []bool{false, false, true, true, true} {
		seq++
		require.NoError(t, c.SendRTP(call.Media, rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: 99999, SSRC: 9, Marker: i == 0}, dtmf.AppendEvent(nil, '7', end, 10, uint16(160*(i+1)))))
	}
	time.Sleep(200 * time.Millisecond)
	var heardAudio, heardEvent bool
	var lastSeq uint16
	farPkts := far.packets()
	for i, p := range farPkts {
		if i > 0 {
			assert.Equal(t, lastSeq+1, p.SequenceNumber, "one continuous stream to the far end")
		}
		lastSeq = p.SequenceNumber
		if p.PayloadType == 8 && loud(p.Payload, true) {
			heardAudio = true
		}
		if p.PayloadType == 96 && len(p.Payload) >= 4 && p.Payload[0] == 7 {
			heardEvent = true
		}
		assert.Contains(t, []uint8{8, 96}, p.PayloadType)
	}
	assert.True(t, heardAudio, "caller's audio reached the far end, transcoded to PCMA")
	assert.True(t, heardEvent, "caller's 7 reached the far end as telephone-event/96")
	// The far end's PCMA tone reaches the caller as PCMU.
	var callerHeard bool
	for _, p := range c.Packets() {
		if p.Header.PayloadType == 0 && loud(p.Payload, false) {
			callerHeard = true
		}
	}
	assert.True(t, callerHeard, "far end's audio reached the caller")
	// The caller hangs up: the far end gets a BYE.
	require.NoError(t, call.Dialog.Bye(ctx5(t)))
	select {
	case <-far.bye:
	case <-time.After(3 * time.Second):
		t.Fatal("far end got no BYE")
	}
}

func TestBridgeFarEndByeHangsUpCaller(t *testing.T) {
	far := newFarEnd(t, "answer")
	r, h := bridgeRig(t, Outbound{URI: far.uri()})
	c := r.caller("udp")
	_, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	<-h.calls
	require.NoError(t, <-h.result)
	far.mu.Lock()
	d := far.dlg
	far.mu.Unlock()
	require.NoError(t, d.Bye(ctx5(t)))
	_, err = c.WaitRequest(sip.BYE, 3*time.Second)
	require.NoError(t, err, "caller gets BYE when the far end hangs up")
	waitFor(t, "both legs gone", func() bool { return r.srv.ActiveCalls() == 0 })
}

func TestBridgeBusyAndNoAnswer(t *testing.T) {
	busy := newFarEnd(t, "busy")
	r, h := bridgeRig(t, Outbound{URI: busy.uri()})
	c := r.caller("udp")
	_, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	<-h.calls
	err = <-h.result
	var be *BridgeError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 486, be.Code)
	assert.Equal(t, 1, r.srv.ActiveCalls(), "the caller is not dropped")

	quiet := newFarEnd(t, "noanswer")
	r2, h2 := bridgeRig(t, Outbound{URI: quiet.uri(), RingTimeout: time.Second})
	c2 := r2.caller("udp")
	_, err = c2.Call(ctx5(t), r2.srv.Addr("udp"), "100")
	require.NoError(t, err)
	<-h2.calls
	err = <-h2.result
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 408, be.Code)
	select {
	case <-quiet.cancel:
	case <-time.After(3 * time.Second):
		t.Fatal("the ringing far end got no CANCEL")
	}
	// Ringback was played to the caller while it rang.
	var tone bool
	for _, p := range c2.Packets() {
		if loud(p.Payload, false) {
			tone = true
		}
	}
	assert.True(t, tone, "ringback while the far end rang")
}

func TestBridgeEarlyMediaRelayedBeforeAnswer(t *testing.T) {
	far := newFarEnd(t, "early")
	r, h := bridgeRig(t, Outbound{URI: far.uri()})
	c := r.caller("udp")
	_, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	<-h.calls
	time.Sleep(400 * time.Millisecond) // 183 came, 200 not yet
	var early bool
	for _, p := range c.Packets() {
		if loud(p.Payload, false) {
			early = true
		}
	}
	assert.True(t, early, "far end's early media reached the caller before the answer")
	require.NoError(t, <-h.result)
}
