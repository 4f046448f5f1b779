package node

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/sip/siptest"
)

// promptJob is a recording by phone as the API shows it.
type promptJob struct {
	ID     string `json:"id"`
	Prompt string `json:"prompt"`
	State  string `json:"state"`
	Reason string `json:"reason"`
	CallID string `json:"call_id"`
}

// recordByPhone asks the API to record prompt name on the phone at to.
func recordByPhone(t *testing.T, svc *Node, token, name, to string) promptJob {
	t.Helper()
	code, body, hdr := apiCall(t, svc, token, "POST", "/api/v1/prompts/"+name+"/record-by-phone", "application/json", []byte(`{"to": "`+to+`"}`))
	require.Equal(t, http.StatusCreated, code, string(body))
	var job promptJob
	require.NoError(t, json.Unmarshal(body, &job))
	assert.Equal(t, "/api/v1/prompts/"+name+"/record-by-phone/"+job.ID, hdr.Get("Location"))
	assert.Equal(t, name, job.Prompt)
	return job
}

// waitJob waits until the job is in state (failing at once on a final
// state that is not it) and returns it.
func waitJob(t *testing.T, svc *Node, token string, job promptJob, state string) promptJob {
	t.Helper()
	var got promptJob
	waitUntil(t, 20*time.Second, func() bool {
		status := apiJSON(t, svc, token, "/api/v1/prompts/"+job.Prompt+"/record-by-phone/"+job.ID, &got)
		require.Equal(t, http.StatusOK, status)
		if got.State != state && (got.State == "saved" || got.State == "cancelled" || got.State == "failed") {
			require.Failf(t, "the recording by phone ended otherwise", "%s (%s), want %s", got.State, got.Reason, state)
		}
		return got.State == state
	}, func() string { return "the recording by phone never reached " + state + "; it is " + got.State })
	return got
}

// beepFrames is how many 20 ms frames of the 1 kHz beep the phone must
// hear in a row (the beep is 400 ms; speech never holds a pure tone that
// long).
const beepFrames = 10

// heardBeep reports whether the phone heard the beep to its end: a run
// of beepFrames frames of 1 kHz followed by a frame that is not.
func heardBeep(phone *siptest.FarEnd) bool {
	run := 0
	for _, p := range phone.Packets() {
		if p.PayloadType != 8 {
			continue
		}
		switch {
		case siptest.HasTone(p.Payload, true, 1000):
			run++
		case run >= beepFrames:
			return true
		default:
			run = 0
		}
	}
	return false
}

// speakAfterBeep is the phone's part up to the review: it waits for the
// beep, speaks a 600 Hz tone for a second, then presses #.
func speakAfterBeep(t *testing.T, phone *siptest.FarEnd) {
	t.Helper()
	waitUntil(t, 20*time.Second, func() bool { return heardBeep(phone) },
		func() string { return "the phone never heard the beep after the instruction" })
	phone.SetTone(600)
	waitUntil(t, 20*time.Second, func() bool { return phone.SentSinceSetTone() >= 50 },
		func() string { return "the phone did not send its second of tone" })
	phone.SetTone(0)
	require.NoError(t, phone.PressKey('#', 8000))
}

// toneFrames counts the 20 ms frames of pcm that are mostly freq.
func toneFrames(pcm []int16, freq float64) int {
	n := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		f := pcm[i : i+160]
		if audio.RMS(f) < 500 {
			continue
		}
		on := goertzel(f, freq, 8000)
		others := 0.0
		for _, o := range []float64{300, 1000, 1400, 2000} {
			others = max(others, goertzel(f, o, 8000))
		}
		if on > 10*others {
			n++
		}
	}
	return n
}

// Issue 25: a prompt recorded by phone. ivrd calls the phone; the phone
// hears the instruction and the beep, says a 600 Hz tone for a second,
// presses # and, once the recording is played back, 1; the prompt is
// then served by the API holding that tone, as an upload would be.
func TestRecordPromptByPhoneKeepsItOn1(t *testing.T) {
	t.Parallel()
	svc, token, _ := startPlacer(t)
	phone := siptest.NewFarEnd(t, "answer")
	phone.SetTone(0)
	job := recordByPhone(t, svc, token, "hello-by-phone", phone.URI())
	assert.Equal(t, "ringing", job.State)
	invite := <-phone.Invites
	assert.Equal(t, job.CallID, invite.CallID().Value())

	speakAfterBeep(t, phone)
	waitJob(t, svc, token, job, "reviewing")
	code, _, _ := apiCall(t, svc, token, "GET", "/api/v1/prompts/hello-by-phone", "", nil)
	assert.Equal(t, http.StatusNotFound, code, "nothing is stored before 1 is pressed")
	require.NoError(t, phone.PressKey('1', 16000))
	waitJob(t, svc, token, job, "saved")

	var info struct {
		Source     string `json:"source"`
		DurationMs int64  `json:"duration_ms"`
	}
	require.Equal(t, http.StatusOK, apiJSON(t, svc, token, "/api/v1/prompts/hello-by-phone", &info))
	assert.Equal(t, "store", info.Source, "stored as an uploaded prompt is")
	code, wav, hdr := apiCall(t, svc, token, "GET", "/api/v1/prompts/hello-by-phone/audio", "", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "audio/wav", hdr.Get("Content-Type"))
	pcm, err := audio.Decode("hello-by-phone.wav", bytes.NewReader(wav))
	require.NoError(t, err)
	frames := toneFrames(pcm, 600)
	assert.GreaterOrEqual(t, frames, 35, "the phone's second of 600 Hz is in the prompt (%d of %d frames)", frames, len(pcm)/160)
	assert.LessOrEqual(t, frames, 60, "and nothing but it was heard as 600 Hz")
	assert.Zero(t, toneFrames(pcm, 1000), "the beep is not in the recording")

	rec := endedCall(t, svc, token, job.CallID)
	assert.Equal(t, cdr.DirectionOutbound, rec.Direction)
	assert.Contains(t, rec.Outcome.Detail, "record prompt hello-by-phone: saved")
}

// * in the review cancels: the job says cancelled and no prompt of that
// name is stored.
func TestRecordPromptByPhoneCancelledOnStar(t *testing.T) {
	t.Parallel()
	svc, token, _ := startPlacer(t)
	phone := siptest.NewFarEnd(t, "answer")
	phone.SetTone(0)
	job := recordByPhone(t, svc, token, "not-kept", phone.URI())
	speakAfterBeep(t, phone)
	waitJob(t, svc, token, job, "reviewing")
	require.NoError(t, phone.PressKey('*', 16000))
	waitJob(t, svc, token, job, "cancelled")
	select {
	case <-phone.Bye:
	case <-time.After(15 * time.Second):
		t.Fatal("ivrd never hung up after the cancel")
	}
	code, _, _ := apiCall(t, svc, token, "GET", "/api/v1/prompts/not-kept", "", nil)
	assert.Equal(t, http.StatusNotFound, code, "nothing stored")
	code, body, _ := apiCall(t, svc, token, "GET", "/api/v1/prompts", "", nil)
	require.Equal(t, http.StatusOK, code)
	assert.NotContains(t, string(body), "not-kept")
}

// A busy phone fails the job saying so; requests the API refuses say
// what is wrong with them; a prompt is recorded by one call at a time.
func TestRecordPromptByPhoneRefusalsAndBusy(t *testing.T) {
	t.Parallel()
	svc, token, _ := startPlacer(t)
	busy := siptest.NewFarEnd(t, "busy")
	job := recordByPhone(t, svc, token, "busy-one", busy.URI())
	got := waitJob(t, svc, token, job, "failed")
	assert.Contains(t, got.Reason, "busy")
	assert.Contains(t, got.Reason, "486")
	code, _, _ := apiCall(t, svc, token, "GET", "/api/v1/prompts/busy-one", "", nil)
	assert.Equal(t, http.StatusNotFound, code)

	for _, c := range []struct {
		name, body string
		code       int
		says       string
	}{
		{"ok-name", `{}`, 400, "to is required"},
		{"bad%2Aname", `{"to": "sip:a@127.0.0.1"}`, 400, `bad*name`},
		{"ok-name", `{"to": "15551234567"}`, 422, `to \"15551234567\"`},
		{"ok-name", `{"to": "15551234567", "trunk": "pstn"}`, 422, "pstn"},
		{"ok-name", `{"to": "sip:a@127.0.0.1", "language": "<en>"}`, 400, "language"},
		{"ok-name", `{"to": "sip:a@127.0.0.1", "ivr": "callback"}`, 400, "ivr"},
		{"ok-name", `not json`, 400, "malformed"},
	} {
		code, body, _ := apiCall(t, svc, token, "POST", "/api/v1/prompts/"+c.name+"/record-by-phone", "application/json", []byte(c.body))
		assert.Equal(t, c.code, code, "%s: %s", c.body, body)
		assert.Contains(t, string(body), c.says, c.body)
	}
	code, body, _ := apiCall(t, svc, token, "GET", "/api/v1/prompts/busy-one/record-by-phone/nope", "", nil)
	assert.Equal(t, http.StatusNotFound, code, string(body))

	// One call at a time per prompt; a phone that hangs up before 1
	// fails the job and stores nothing.
	phone := siptest.NewFarEnd(t, "answer")
	first := recordByPhone(t, svc, token, "one-at-a-time", phone.URI())
	waitJob(t, svc, token, first, "answered")
	code, body, _ = apiCall(t, svc, token, "POST", "/api/v1/prompts/one-at-a-time/record-by-phone", "application/json", []byte(`{"to": "`+phone.URI()+`"}`))
	assert.Equal(t, http.StatusConflict, code, string(body))
	assert.Contains(t, string(body), "being recorded by phone already")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, phone.Dialog().Bye(ctx))
	got = waitJob(t, svc, token, first, "failed")
	assert.Contains(t, got.Reason, "hung up")
	code, _, _ = apiCall(t, svc, token, "GET", "/api/v1/prompts/one-at-a-time", "", nil)
	assert.Equal(t, http.StatusNotFound, code)
}
