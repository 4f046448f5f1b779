package sip

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/sip/siptest"
)

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
	out      Outbound
	contacts func() []string // when set, the call forks to these
	result   chan error
	ends     chan BridgeEnd // which side ended each bridge
	calls    chan *Call
	mu       sync.Mutex
	last     *Call         // the call served last
	gate     chan struct{} // when set, bridging waits for it to close
}

// toneClip is a generated tone as a media.Clip: the sound a call owner
// hands a bridge for its ringback.
type toneClip struct{ pcmu, pcma []byte }

func newToneClip(f1, f2, dBm0 float64, onMs, offMs int) toneClip {
	pcm := audio.Tone(f1, f2, dBm0, onMs, offMs)
	c := toneClip{pcmu: make([]byte, len(pcm)), pcma: make([]byte, len(pcm))}
	audio.EncodeG711(c.pcmu, pcm, audio.PCMU)
	audio.EncodeG711(c.pcma, pcm, audio.PCMA)
	return c
}

func (c toneClip) Payload(codec audio.Codec) []byte {
	if codec == audio.PCMA {
		return c.pcma
	}
	return c.pcmu
}

// newBridgeHandler bridges to out; like the call owner, it gives every
// bridge ringback (the tone the caller hears while the far end rings).
func newBridgeHandler(out Outbound) *bridgeHandler {
	if out.Ringback == nil {
		out.Ringback = newToneClip(440, 480, -19, 2000, 4000)
	}
	return &bridgeHandler{out: out, result: make(chan error, 1), ends: make(chan BridgeEnd, 1), calls: make(chan *Call, 1)}
}

func (h *bridgeHandler) Route(string) bool { return true }
func (h *bridgeHandler) Serve(ctx context.Context, c *Call) {
	h.mu.Lock()
	h.last = c
	h.mu.Unlock()
	h.calls <- c
	if h.gate != nil {
		<-h.gate
	}
	out := h.out
	if h.contacts != nil {
		out.Fork = h.contacts()
	}
	b, err := c.Bridge(ctx, out)
	h.result <- err
	if err == nil {
		h.ends <- b.Wait()
	}
	<-ctx.Done()
}

// bridged places a call that the handler bridges to a new far end in mode,
// and waits for the bridge's outcome when wait is set.
func bridged(t *testing.T, mode string, out Outbound, wait bool) (*rig, *bridgeHandler, *siptest.Caller, *siptest.Answered, *siptest.FarEnd) {
	far := siptest.NewFarEnd(t, mode)
	out.URI = far.URI()
	r, h := bridgeRig(t, out)
	c := r.caller("udp")
	call, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	<-h.calls
	if wait {
		require.NoError(t, <-h.result)
	}
	return r, h, c, call, far
}

// bridgeRig serves calls with a bridgeHandler to out; a gate, when given,
// holds each bridge until it is closed.
func bridgeRig(t *testing.T, out Outbound, gate ...chan struct{}) (*rig, *bridgeHandler) {
	h := newBridgeHandler(out)
	if len(gate) > 0 {
		h.gate = gate[0]
	}
	return newRigWith(t, nil, h), h
}

func TestBridgeRelaysAudioAndDigitsAndCarriesBye(t *testing.T) {
	t.Parallel()
	far := siptest.NewFarEnd(t, "answer")
	r, h := bridgeRig(t, Outbound{URI: far.URI()})
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
			payload[j] = g711.EncodeUlawFrame(int16(6000 * siptest.SinTable(j%8)))
		}
		seq++
		require.NoError(t, c.SendRTP(call.Media, rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 9}, payload))
		time.Sleep(20 * time.Millisecond) // paced as a phone sends: the scenario, not a wait
	}
	// A key press relayed as an event with the far end's payload type 96.
	require.NoError(t, c.PressKey(call.Media, siptest.KeyPress{Key: '7', PayloadType: 101, Timestamp: 99999, SSRC: 9}, &seq))
	heard := func(match func(p rtp.Packet) bool) func() bool {
		return func() bool {
			for _, p := range far.Packets() {
				if match(p) {
					return true
				}
			}
			return false
		}
	}
	// The key's end packets come last: once one is at the far end, so
	// is everything sent before it.
	require.Eventually(t, heard(func(p rtp.Packet) bool { return p.PayloadType == 96 && len(p.Payload) >= 4 && p.Payload[1]&0x80 != 0 }),
		5*time.Second, 10*time.Millisecond, "the key's end reached the far end")
	var heardAudio, heardEvent bool
	var lastSeq uint16
	farPkts := far.Packets()
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
	require.Eventually(t, func() bool {
		for _, p := range c.Packets() {
			if p.Header.PayloadType == 0 && loud(p.Payload, false) {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "far end's audio reached the caller")
	// The caller hangs up: the far end gets a BYE.
	require.NoError(t, call.Dialog.Bye(ctx5(t)))
	select {
	case <-far.Bye:
	case <-time.After(3 * time.Second):
		t.Fatal("far end got no BYE")
	}
}

// TestBridgeKeepsTheChoosingKeyToItself: the key that chose the bridge is
// still sounding (its end packets arrive) when the far end answers; the
// far end must not get it as a key press, but must get the next one.
func TestBridgeKeepsTheChoosingKeyToItself(t *testing.T) {
	t.Parallel()
	far := siptest.NewFarEnd(t, "answer")
	gate := make(chan struct{})
	r, h := bridgeRig(t, Outbound{URI: far.URI()}, gate)
	c := r.caller("udp")
	call, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	sc := <-h.calls
	var seq uint16
	event := func(key byte, ts uint32, i int, end bool) {
		seq++
		require.NoError(t, c.SendRTP(call.Media, rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: ts, SSRC: 9, Marker: i == 0}, siptest.EventPayload(key, end, 10, uint16(160*(i+1)))))
	}
	event('3', 5000, 0, false)
	event('3', 5000, 1, false)
	require.Eventually(t, func() bool { return sc.Media.Stats().Received >= 2 }, 5*time.Second, 5*time.Millisecond,
		"the choosing key's first packets reached ivrd")
	close(gate)
	require.NoError(t, <-h.result)
	for i := 2; i < 5; i++ {
		event('3', 5000, i, true)
	}
	// A sloppy sender reusing the timestamp of the choosing press for its
	// next one still gets that through, and then any other.
	for i, end := range []bool{false, true, true, true} {
		event('6', 5000, i, end)
	}
	for i, end := range []bool{false, false, true, true, true} {
		event('4', 9000, i, end)
	}
	keysHeard := func() string {
		var keys []byte
		for _, p := range far.Packets() {
			if p.PayloadType == 96 && len(p.Payload) >= 4 {
				keys = append(keys, "0123456789*#ABCD"[p.Payload[0]&15])
			}
		}
		return string(keys)
	}
	// '4' was sent last: once it is at the far end, whatever of '3' and
	// '6' was relayed is there too.
	require.Eventually(t, func() bool { return strings.Contains(keysHeard(), "4") }, 5*time.Second, 10*time.Millisecond,
		"a key pressed while bridged reaches the far end")
	keys := keysHeard()
	assert.NotContains(t, keys, "3", "the choosing key's end packets stay with ivrd")
	assert.Contains(t, keys, "4", "a key pressed while bridged reaches the far end")
	assert.Contains(t, keys, "6", "so does one reusing the choosing press's timestamp")
}

func TestBridgeFarEndByeHangsUpCaller(t *testing.T) {
	t.Parallel()
	r, h, c, _, far := bridged(t, "answer", Outbound{}, true)
	h.mu.Lock()
	call := h.last
	h.mu.Unlock()
	require.NoError(t, far.Dialog().Bye(ctx5(t)))
	_, err := c.WaitRequest(sip.BYE, 3*time.Second)
	require.NoError(t, err, "caller gets BYE when the far end hangs up")
	waitFor(t, "both legs gone", func() bool { return r.srv.ActiveCalls() == 0 })
	assert.Equal(t, FarEndEnded, waitEnd(t, h), "the bridge's owner hears the far end ended it")
	assert.Equal(t, EndFarEnd, call.EndCause())
}

func TestBridgeCallerByeEndsBridgeOnCallerSide(t *testing.T) {
	t.Parallel()
	_, h, _, answered, far := bridged(t, "answer", Outbound{}, true)
	h.mu.Lock()
	call := h.last
	h.mu.Unlock()
	require.NoError(t, answered.Dialog.Bye(ctx5(t)))
	select {
	case <-far.Bye:
	case <-time.After(3 * time.Second):
		t.Fatal("far end got no BYE")
	}
	assert.Equal(t, CallerEnded, waitEnd(t, h), "the bridge's owner hears the caller ended it")
	assert.Equal(t, EndCallerBye, call.EndCause())
}

func waitEnd(t *testing.T, h *bridgeHandler) BridgeEnd {
	t.Helper()
	select {
	case e := <-h.ends:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("bridge never ended")
		return 0
	}
}

func TestBridgeBusyAndNoAnswer(t *testing.T) {
	t.Parallel()
	busy := siptest.NewFarEnd(t, "busy")
	r, h := bridgeRig(t, Outbound{URI: busy.URI()})
	c := r.caller("udp")
	_, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	<-h.calls
	err = <-h.result
	var be *BridgeError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 486, be.Code)
	assert.Equal(t, 1, r.srv.ActiveCalls(), "the caller is not dropped")

	quiet := siptest.NewFarEnd(t, "noanswer")
	r2, h2 := bridgeRig(t, Outbound{URI: quiet.URI(), RingTimeout: time.Second})
	c2 := r2.caller("udp")
	_, err = c2.Call(ctx5(t), r2.srv.Addr("udp"), "100")
	require.NoError(t, err)
	<-h2.calls
	err = <-h2.result
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 408, be.Code)
	select {
	case <-quiet.Cancel:
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
	t.Parallel()
	_, h, c, _, far := bridged(t, "early", Outbound{}, false)
	require.NoError(t, <-h.result)
	answered := far.AnsweredAt()
	var early bool
	for _, p := range c.Packets() {
		// The far end's own tone, not ringback ivrd might play meanwhile.
		if siptest.HasTone(p.Payload, false, siptest.FarEndToneHz) && p.At.Before(answered) {
			early = true
		}
	}
	assert.True(t, early, "far end's early media reached the caller before the answer")
}

func TestBridgeHoldReflectedToFarEnd(t *testing.T) {
	t.Parallel()
	_, _, c, call, far := bridged(t, "answer", Outbound{}, true)
	<-far.Invites // the initial INVITE
	res := reinvite(t, call.Dialog, c.Offer("sendonly", 0, 101))
	require.Equal(t, 200, res.StatusCode)
	select {
	case inv := <-far.Invites:
		assert.Contains(t, string(inv.Body()), "a=sendonly", "the hold reached the far end")
	case <-time.After(3 * time.Second):
		t.Fatal("no re-INVITE to the far end")
	}
}

func TestBridgeCallerHangsUpWhileFarEndRings(t *testing.T) {
	t.Parallel()
	_, h, c, call, quiet := bridged(t, "noanswer", Outbound{RingTimeout: 20 * time.Second}, false)
	// Ringing: the caller hears the ringback ivrd plays on the far end's 180.
	require.Eventually(t, func() bool {
		for _, p := range c.Packets() {
			if loud(p.Payload, false) {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "ringback while the far end rings")
	require.NoError(t, call.Dialog.Bye(ctx5(t)))
	select {
	case <-quiet.Cancel:
	case <-time.After(3 * time.Second):
		t.Fatal("the far end got no CANCEL when the caller hung up")
	}
	require.Error(t, <-h.result)
}

func TestBridgeFarEndHoldReflectedToCaller(t *testing.T) {
	t.Parallel()
	_, _, c, _, far := bridged(t, "answer", Outbound{}, true)
	d := far.Dialog()
	req := sip.NewRequest(sip.INVITE, d.InviteRequest.Contact().Address)
	req.SetBody([]byte("v=0\r\no=far 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=sendonly\r\n"))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := d.Do(ctx5(t), req)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode)
	assert.Contains(t, string(res.Body()), "a=recvonly", "ivrd answers the far end's hold")
	inv, err := c.WaitRequest(sip.INVITE, 3*time.Second)
	require.NoError(t, err, "the caller gets a re-INVITE")
	assert.Contains(t, string(inv.Body()), "a=sendonly", "with the far end's hold")
}
