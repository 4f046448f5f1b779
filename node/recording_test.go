package node

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/sip/siptest"
	"github.com/ivrd/ivrd/store"
)

const recordedConfig = `
server:
  sip:
    listen: ["udp://127.0.0.1:0"]
  media:
    rtp_ports: "RTP_RANGE"
  recordings_dir: "rec"
prompts_dir: "PROMPTS"
ivrs:
  - id: main
    extensions: ["100"]
    record: true
    prompt: main-choices
    response_timeout: 5s
    keys:
      "#": hangup
`

// goertzel is the power of freq in pcm at rate.
func goertzel(pcm []int16, freq float64, rate int) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, x := range pcm {
		s := float64(x) + k*s1 - s2
		s2, s1 = s1, s
	}
	return s1*s1 + s2*s2 - k*s1*s2
}

// stereoWAV splits a 16-bit stereo WAV into its channels.
func stereoWAV(t *testing.T, b []byte) (rate int, left, right []int16) {
	t.Helper()
	require.Greater(t, len(b), 44)
	require.Equal(t, "RIFF", string(b[:4]))
	le := binary.LittleEndian
	require.Equal(t, uint16(2), le.Uint16(b[22:24]), "stereo")
	require.Equal(t, int(le.Uint32(b[40:44])), len(b)-44, "the header's data size is the file's")
	for i := 44; i+4 <= len(b); i += 4 {
		left = append(left, int16(le.Uint16(b[i:])))
		right = append(right, int16(le.Uint16(b[i+2:])))
	}
	return int(le.Uint32(b[24:28])), left, right
}

// A menu with record: true records its calls: the WAV the API serves
// has the caller's tone on the left and the menu's prompt on the right;
// it is listed under its call, and deleted (file and index) through the
// API.
func TestRecordedCallStereoDownloadDelete(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, recordedConfig)
	writeTone(t, filepath.Join(filepath.Dir(path), "main-choices.wav"), 440, 3*time.Second)
	svc := startConfig(t, path)
	token := firstToken(t, svc)

	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.SIPAddr("udp"), "100")
	require.NoError(t, err)
	callID := call.Dialog.InviteRequest.CallID().Value()
	waitPrompt(t, c)
	var seq uint16
	require.NoError(t, c.SendTone(call.Media, 1000, 50, &seq)) // a second of the caller's voice
	require.NoError(t, call.Dialog.Bye(ctx))

	var items []store.Recording
	waitUntil(t, 10*time.Second, func() bool {
		code, body, _ := apiCall(t, svc, token, "GET", "/api/v1/recordings?call_id="+callID, "", nil)
		var list struct{ Items []store.Recording }
		if code != 200 || json.Unmarshal(body, &list) != nil {
			return false
		}
		items = list.Items
		return len(items) == 1
	}, func() string { return "the recording was never listed" })
	rec := items[0]
	assert.Equal(t, callID, rec.CallID)
	assert.Equal(t, "stereo", rec.Format)
	assert.Equal(t, 2, rec.Channels)
	assert.Equal(t, 8000, rec.Rate)
	assert.GreaterOrEqual(t, rec.DurationMs, int64(900))
	assert.Empty(t, rec.Stopped)

	code, wav, hdr := apiCall(t, svc, token, "GET", "/api/v1/calls/"+callID+"/recordings/"+rec.ID, "", nil)
	require.Equal(t, 200, code, string(wav))
	assert.Equal(t, "audio/wav", hdr.Get("Content-Type"))
	assert.Equal(t, rec.Bytes, int64(len(wav)))
	rate, left, right := stereoWAV(t, wav)
	require.Equal(t, 8000, rate)
	assert.Greater(t, goertzel(left, 1000, rate), 20*goertzel(left, 440, rate), "the caller's tone is on the left")
	assert.Greater(t, goertzel(right, 440, rate), 20*goertzel(right, 1000, rate), "the prompt is on the right")

	files, err := filepath.Glob(filepath.Join(filepath.Dir(path), "rec", "*", rec.ID+".wav"))
	require.NoError(t, err)
	require.Len(t, files, 1, "the file is under server.recordings_dir")

	code, body, _ := apiCall(t, svc, token, "DELETE", "/api/v1/calls/"+callID+"/recordings/"+rec.ID, "", nil)
	require.Equal(t, 204, code, string(body))
	_, err = os.Stat(files[0])
	assert.True(t, os.IsNotExist(err), "the file is deleted too")
	code, _, _ = apiCall(t, svc, token, "GET", "/api/v1/calls/"+callID+"/recordings/"+rec.ID, "", nil)
	assert.Equal(t, 404, code)
	code, _, _ = apiCall(t, svc, token, "DELETE", "/api/v1/calls/"+callID+"/recordings/"+rec.ID, "", nil)
	assert.Equal(t, 404, code)
	code, body, _ = apiCall(t, svc, token, "GET", "/api/v1/audit", "", nil)
	require.Equal(t, 200, code)
	assert.Contains(t, string(body), callID+"/"+rec.ID, "the deletion is in the audit log")
	code, _, _ = apiCall(t, svc, token, "GET", "/api/v1/recordings", "", nil)
	assert.Equal(t, 400, code, "a list needs its call")
}

const bridgeRecordConfig = `
server:
  sip:
    listen: ["udp://127.0.0.1:0"]
  media:
    rtp_ports: "RTP_RANGE"
prompts_dir: "PROMPTS"
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    keys:
      "1": {uri: "PHONE", transfer: bridge, record: {format: stereo}}
`

// A destination that records records from its hand-off on: bridged, the
// caller is on the left and the party it was bridged to on the right.
func TestRecordedBridgeHoldsBothParties(t *testing.T) {
	t.Parallel()
	phone := siptest.NewFarEnd(t, "answer") // speaks 1 kHz
	path := writeConfig(t, bridgeRecordConfig, "PHONE", phone.URI())
	svc := startConfig(t, path)
	token := firstToken(t, svc)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.SIPAddr("udp"), "100")
	require.NoError(t, err)
	callID := call.Dialog.InviteRequest.CallID().Value()
	var seq uint16
	sendEvent(t, c, call.Media, 101, '1', &seq, 8000)
	phone.Dialog() // answered: bridged
	require.NoError(t, c.SendTone(call.Media, 600, 50, &seq))
	require.NoError(t, call.Dialog.Bye(ctx))

	var items []store.Recording
	waitUntil(t, 10*time.Second, func() bool {
		code, body, _ := apiCall(t, svc, token, "GET", "/api/v1/recordings?call_id="+callID, "", nil)
		var list struct{ Items []store.Recording }
		if code != 200 || json.Unmarshal(body, &list) != nil {
			return false
		}
		items = list.Items
		return len(items) == 1
	}, func() string { return "the bridge's recording was never listed" })
	code, wav, _ := apiCall(t, svc, token, "GET", "/api/v1/calls/"+callID+"/recordings/"+items[0].ID, "", nil)
	require.Equal(t, 200, code)
	rate, left, right := stereoWAV(t, wav)
	assert.Greater(t, goertzel(left, 600, rate), 20*goertzel(left, 1000, rate), "the caller on the left")
	assert.Greater(t, goertzel(right, 1000, rate), 20*goertzel(right, 600, rate), "the bridged party on the right")
}

// Retention deletes old recordings, index and file, and keeps new ones
// (the sweep calls this with the call records' cutoff).
func TestRetentionPrunesRecordingFiles(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, recordedConfig)
	writeTone(t, filepath.Join(filepath.Dir(path), "main-choices.wav"), 440, time.Second)
	svc := startConfig(t, path)
	ctx := context.Background()
	dir := t.TempDir()
	oldFile, newFile := filepath.Join(dir, "old.wav"), filepath.Join(dir, "new.wav")
	for _, f := range []string{oldFile, newFile} {
		require.NoError(t, os.WriteFile(f, []byte("RIFF"), 0o600))
	}
	require.NoError(t, svc.ctl.st.AddRecording(ctx, store.Recording{ID: "old", CallID: "c-old", Path: oldFile, Node: svc.ctl.node,
		Start: time.Now().Add(-10 * 24 * time.Hour), Format: "stereo", Channels: 2, Rate: 8000}))
	require.NoError(t, svc.ctl.st.AddRecording(ctx, store.Recording{ID: "new", CallID: "c-new", Path: newFile, Node: svc.ctl.node,
		Start: time.Now(), Format: "stereo", Channels: 2, Rate: 8000}))
	n, err := svc.ctl.pruneRecordings(ctx, time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = os.Stat(oldFile)
	assert.True(t, os.IsNotExist(err), "the old file is deleted")
	_, err = os.Stat(newFile)
	assert.NoError(t, err, "the new file stays")
	left, err := svc.ctl.st.Recordings(ctx, "c-new")
	require.NoError(t, err)
	assert.Len(t, left, 1)
	gone, err := svc.ctl.st.Recordings(ctx, "c-old")
	require.NoError(t, err)
	assert.Empty(t, gone)
}

const announcedConfig = `
server:
  sip:
    listen: ["udp://127.0.0.1:0"]
  media:
    rtp_ports: "RTP_RANGE"
prompts_dir: "PROMPTS"
ivrs:
  - id: main
    extensions: ["100"]
    record: {announce: notice, format: mono}
    prompt: main-choices
    keys:
      "#": hangup
`

// record's announcement plays before the menu, and is in the (mono)
// recording with the menu's prompt.
func TestRecordAnnouncementThenMenu(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, announcedConfig)
	writeTone(t, filepath.Join(filepath.Dir(path), "notice.wav"), 700, 600*time.Millisecond)
	writeTone(t, filepath.Join(filepath.Dir(path), "main-choices.wav"), 440, time.Second)
	svc := startConfig(t, path)
	token := firstToken(t, svc)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.SIPAddr("udp"), "100")
	require.NoError(t, err)
	callID := call.Dialog.InviteRequest.CallID().Value()
	waitHeard(t, c, 700, 440)
	require.NoError(t, call.Dialog.Bye(ctx))
	var items []store.Recording
	waitUntil(t, 10*time.Second, func() bool {
		code, body, _ := apiCall(t, svc, token, "GET", "/api/v1/recordings?call_id="+callID, "", nil)
		var list struct{ Items []store.Recording }
		if code != 200 || json.Unmarshal(body, &list) != nil {
			return false
		}
		items = list.Items
		return len(items) == 1
	}, func() string { return "the recording was never listed" })
	assert.Equal(t, "mono", items[0].Format)
	assert.Equal(t, 1, items[0].Channels)
	code, wav, _ := apiCall(t, svc, token, "GET", "/api/v1/calls/"+callID+"/recordings/"+items[0].ID, "", nil)
	require.Equal(t, 200, code)
	le := binary.LittleEndian
	require.Equal(t, uint16(1), le.Uint16(wav[22:24]))
	var pcm []int16
	for i := 44; i+2 <= len(wav); i += 2 {
		pcm = append(pcm, int16(le.Uint16(wav[i:])))
	}
	quiet := goertzel(pcm, 1400, 8000)
	assert.Greater(t, goertzel(pcm, 700, 8000), 20*quiet, "the announcement is recorded")
	assert.Greater(t, goertzel(pcm, 440, 8000), 20*quiet, "so is the menu's prompt")
}

// A recording that cannot be written (its folder cannot be made) leaves
// the call going on unrecorded, with the reason logged.
func TestUnwritableRecordingsDirLeavesTheCallGoing(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, recordedConfig)
	dir := filepath.Dir(path)
	writeTone(t, filepath.Join(dir, "main-choices.wav"), 440, 3*time.Second)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rec"), []byte("a file where the folder should be"), 0o600))
	logs := &testenv.Buffer{}
	svc, err := newService(path, logs, "info")
	require.NoError(t, err)
	require.NoError(t, svc.Start(t.Context()))
	t.Cleanup(svc.Close)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.SIPAddr("udp"), "100")
	require.NoError(t, err)
	waitPrompt(t, c) // the menu plays
	assert.Contains(t, logs.String(), "recording not started: the call goes on unrecorded")
	require.NoError(t, call.Dialog.Bye(ctx))
}
