package ivr

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSimulateJSONLines(t *testing.T) {
	t.Parallel()
	c := loadExample(t, "main.yaml")
	durations := map[string]time.Duration{"welcome": 2300 * time.Millisecond, "main-choices": 4 * time.Second,
		"support-choices": 3 * time.Second, "invalid": time.Second, "goodbye": time.Second}
	tr, err := Simulate(c, SimOptions{To: "100", Script: "wait:2300ms,1", At: parisWeekday,
		Duration: func(p string) (time.Duration, bool) { d, ok := durations[p]; return d, ok }})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, WriteTrace(&out, tr))
	assert.Equal(t, `{"t_ms":0,"event":"answer","ivr":"main"}
{"t_ms":0,"event":"enter","ivr":"main"}
{"t_ms":0,"event":"play","prompt":"welcome","barge_in":false}
{"t_ms":2300,"event":"play","prompt":"main-choices","barge_in":true}
{"t_ms":2300,"event":"digit","digit":"1"}
{"t_ms":2300,"event":"stop","prompt":"main-choices"}
{"t_ms":2300,"event":"transfer","dest":{"type":"uri","target":"sip:sales@127.0.0.1:5070"},"method":"refer"}
`, out.String())

	tr, err = Simulate(c, SimOptions{To: "ivr", Script: "wait:3s,5,wait:1s,2,wait:1s,1", At: parisWeekday,
		Duration: func(p string) (time.Duration, bool) { d, ok := durations[p]; return d, ok }})
	require.NoError(t, err)
	out.Reset()
	require.NoError(t, WriteTrace(&out, tr))
	for _, line := range []string{
		`{"t_ms":3000,"event":"invalid","ivr":"main","digits":"5"}`,
		`{"t_ms":3000,"event":"play","prompt":"invalid","barge_in":false}`,
		`{"t_ms":4000,"event":"enter","ivr":"support"}`,
		`{"t_ms":5000,"event":"transfer","dest":{"type":"uri","target":"sip:tech@127.0.0.1:5070"},"method":"refer"}`,
	} {
		assert.Contains(t, out.String(), line+"\n")
	}

	tr, err = Simulate(c, SimOptions{To: "s", At: parisWeekday, Duration: func(p string) (time.Duration, bool) { d, ok := durations[p]; return d, ok }})
	require.NoError(t, err)
	out.Reset()
	require.NoError(t, WriteTrace(&out, tr))
	// 2.3 s greeting + 4 s menu + 5 s response timeout; "timeout" is not
	// among the durations given: a missing prompt takes no time.
	assert.Contains(t, out.String(), `{"t_ms":11300,"event":"timeout","ivr":"main"}`+"\n")
	assert.True(t, strings.HasSuffix(out.String(), `{"t_ms":30300,"event":"hangup","reason":"failure"}`+"\n"), out.String())
}

func TestSimulateExternalAndVoicemailJSON(t *testing.T) {
	t.Parallel()
	c := loadExample(t, "yeastar.yaml")
	tr, err := Simulate(c, SimOptions{To: "6500", Script: "wait:1s,12125551234", At: parisWeekday})
	require.NoError(t, err)
	b, err := json.Marshal(tr[len(tr)-1])
	require.NoError(t, err)
	assert.JSONEq(t, `{"t_ms":2000,"event":"transfer","dest":{"type":"external","target":"912125551234","trunk":"route1"},"method":"refer"}`, string(b))
	tr, err = Simulate(c, SimOptions{To: "6500", Script: "*", At: parisWeekday})
	require.NoError(t, err)
	b, err = json.Marshal(tr[len(tr)-1])
	require.NoError(t, err)
	assert.JSONEq(t, `{"t_ms":0,"event":"transfer","dest":{"type":"voicemail","target":"1001"},"method":"voicemail"}`, string(b))
}

func TestSimulateScriptErrors(t *testing.T) {
	t.Parallel()
	c := loadExample(t, "main.yaml")
	for script, msg := range map[string]string{
		"wait:soon": `bad wait "wait:soon"`,
		"1x":        `'x' is not a key`,
		"wait:-1s":  `bad wait "wait:-1s"`,
	} {
		_, err := Simulate(c, SimOptions{To: "100", Script: script})
		assert.ErrorContains(t, err, msg, script)
	}
	_, err := Simulate(c, SimOptions{To: "999"})
	assert.ErrorContains(t, err, `no ivr has extension "999"`)
}

// Whatever the caller does, every simulated call ends: handed on or hung up.
func TestEverySimulationEnds(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../examples/*.yaml")
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(1))
	keys := "0123456789*#"
	for _, f := range files {
		c := loadExample(t, filepath.Base(f))
		for _, m := range c.IVRs {
			for _, to := range m.Extensions {
				for i := 0; i < 40; i++ {
					var steps []string
					for j := rng.Intn(6); j > 0; j-- {
						if rng.Intn(2) == 0 {
							steps = append(steps, "wait:"+time.Duration(rng.Intn(8000)*int(time.Millisecond)).String())
						} else {
							steps = append(steps, string(keys[rng.Intn(len(keys))])+strings.Repeat(string(keys[rng.Intn(10)]), rng.Intn(4)))
						}
					}
					script := strings.Join(steps, ",")
					at := parisWeekday.Add(time.Duration(rng.Intn(7*24)) * time.Hour)
					tr, err := Simulate(c, SimOptions{To: to, Script: script, At: at, TransferFails: rng.Intn(3) == 0,
						Duration: func(string) (time.Duration, bool) { return 1500 * time.Millisecond, true }})
					require.NoError(t, err, "%s to %s: %q", f, to, script)
					last := tr[len(tr)-1].Event
					assert.True(t, last == "hangup" || last == "transfer", "%s to %s %q ends with %s", f, to, script, last)
				}
			}
		}
	}
}
