package node

import (
	"encoding/binary"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
	"github.com/ivrd/ivrd/store"
)

const recordedRoomConf = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
  recordings_dir: "rec"
prompts_dir: "PROMPTS"
conferences:
  - { id: board, number: "810", record: true, record_announcement: recorded-notice }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
`

// heardNotice reports whether one of the packets is mostly 300 Hz (the
// test's record announcement) among the room's other sounds.
func heardNotice(pkts []siptest.Packet) bool {
	for _, p := range pkts {
		pcm := make([]int16, len(p.Payload))
		loud := false
		for i, b := range p.Payload {
			pcm[i] = g711.DecodeUlawFrame(b)
			loud = loud || pcm[i] > 1000 || pcm[i] < -1000
		}
		if loud && toneIn(pcm, 300, 440, 700, 900, 1000, 1400) == 300 {
			return true
		}
	}
	return false
}

// monoWAV reads a 16-bit mono WAV's rate and samples.
func monoWAV(t *testing.T, b []byte) (int, []int16) {
	t.Helper()
	require.Greater(t, len(b), 44)
	require.Equal(t, "RIFF", string(b[:4]))
	le := binary.LittleEndian
	require.Equal(t, uint16(1), le.Uint16(b[22:24]), "mono")
	require.Equal(t, int(le.Uint32(b[40:44])), len(b)-44, "the header's data size is the file's")
	pcm := make([]int16, 0, (len(b)-44)/2)
	for i := 44; i+2 <= len(b); i += 2 {
		pcm = append(pcm, int16(le.Uint16(b[i:])))
	}
	return int(le.Uint32(b[24:28])), pcm
}

// gated keeps the 20 ms frames of pcm that pass the mixer's silence gate:
// the recording's speech, without the silences around it.
func gated(pcm []int16) []int16 {
	var out []int16
	for start := 0; start+media.FrameSamples <= len(pcm); start += media.FrameSamples {
		f := pcm[start : start+media.FrameSamples]
		var e int64
		for _, v := range f {
			e += int64(v) * int64(v)
		}
		if e/int64(len(f)) >= media.TalkThreshold {
			out = append(out, f...)
		}
	}
	return out
}

// Issue 20, a recorded room: three phones join a room with record: true,
// each hears the record announcement, and each says its own tone; the
// API shows the room recording while they are in it. Once the last one
// leaves, the room's recording is listed under the room (its session),
// its WAV (mono, 8 kHz) holds all three tones, and it is deleted with its
// file through the API.
func TestConferenceRecordedRoom(t *testing.T) {
	path := writeConfig(t, recordedRoomConf)
	writeTone(t, filepath.Join(filepath.Dir(path), "recorded-notice.wav"), 300, 400*time.Millisecond)
	svc := startConfig(t, path)
	tok := firstToken(t, svc)
	ps := []*confCaller{dialRoom(t, svc, "810"), dialRoom(t, svc, "810"), dialRoom(t, svc, "810")}
	waitMembers(t, svc, "board", 3)
	for i, p := range ps {
		require.Eventually(t, func() bool { return heardNotice(p.c.Packets()) }, 10*time.Second, 20*time.Millisecond,
			"participant %d hears the record announcement", i)
	}
	code, body := checkedGet(t, svc, "/api/v1/conferences", tok)
	require.Equal(t, http.StatusOK, code, string(body))
	var rooms struct{ Items []api.Conference }
	require.NoError(t, json.Unmarshal(body, &rooms))
	require.Len(t, rooms.Items, 1)
	session := rooms.Items[0].Session
	require.True(t, rooms.Items[0].Recording, "the room is being recorded")
	require.NotEmpty(t, session)

	talk(t, ps, []float64{440, 700, 1000})
	for _, p := range ps {
		p.key(t, '#')
		_, err := p.c.WaitRequest(sip.BYE, 10*time.Second)
		require.NoError(t, err, "# leaves the room")
	}
	waitMembers(t, svc, "board", 0)

	var rec store.Recording
	waitUntil(t, nodetest.Patience, func() bool {
		code, body := checkedGet(t, svc, "/api/v1/recordings?conference=board", tok)
		var list struct{ Items []store.Recording }
		if code != http.StatusOK || json.Unmarshal(body, &list) != nil || len(list.Items) != 1 {
			return false
		}
		rec = list.Items[0]
		return true
	}, func() string { return "the room's recording was never listed" })
	assert.Equal(t, "board", rec.Conference)
	assert.Equal(t, session, rec.Session, "the recording is the session's the API showed")
	assert.Empty(t, rec.CallID)
	assert.Equal(t, "mono", rec.Format)
	assert.Equal(t, 1, rec.Channels)
	assert.Equal(t, 8000, rec.Rate)
	assert.GreaterOrEqual(t, rec.DurationMs, int64(1000))
	assert.Empty(t, rec.Stopped)

	code, wav, hdr := apiCall(t, svc, tok, "GET", "/api/v1/conferences/board/recordings/"+rec.ID, "", nil)
	require.Equal(t, http.StatusOK, code, string(wav))
	assert.Equal(t, "audio/wav", hdr.Get("Content-Type"))
	rate, pcm := monoWAV(t, wav)
	require.Equal(t, 8000, rate)
	speech := gated(pcm)
	require.GreaterOrEqual(t, len(speech), 8000/2, "half a second of speech at least")
	weakest := 1e9
	for _, f := range []float64{440, 700, 1000} {
		l := toneLevel(speech, f)
		t.Logf("%v Hz: level %.0f over %d samples of speech", f, l, len(speech))
		assert.Greater(t, l, 1500.0, "the recording holds %v Hz", f)
		weakest = min(weakest, l)
	}
	assert.Less(t, toneLevel(speech, 1700), weakest/20, "no tone nobody said")

	files, err := filepath.Glob(filepath.Join(filepath.Dir(path), "rec", "*", rec.ID+".wav"))
	require.NoError(t, err)
	require.Len(t, files, 1, "the file is under server.recordings_dir")
	code, body, _ = apiCall(t, svc, tok, "DELETE", "/api/v1/conferences/board/recordings/"+rec.ID, "", nil)
	require.Equal(t, http.StatusNoContent, code, string(body))
	_, err = os.Stat(files[0])
	assert.True(t, os.IsNotExist(err), "the file is deleted too")
	code, body = checkedGet(t, svc, "/api/v1/recordings?conference=board", tok)
	require.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"items": []}`, string(body))
}
