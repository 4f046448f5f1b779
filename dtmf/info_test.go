package dtmf

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseInfo(t *testing.T) {
	t.Parallel()
	good := []struct {
		ct, body string
		want     byte
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5'},
		{"application/dtmf-relay", "signal = #\nduration=100", '#'},
		{"Application/DTMF-Relay; charset=x", "Signal=*\r\n", '*'},
		{"application/dtmf-relay", "Signal=10\r\nDuration=160", '*'},
		{"application/dtmf-relay", "Signal=11", '#'},
		{"application/dtmf-relay", "Signal=a", 'A'},
		{"application/dtmf", "7", '7'},
		{"application/dtmf", " 11\r\n", '#'},
	}
	for _, g := range good {
		k, err := ParseInfo(g.ct, []byte(g.body))
		if assert.NoError(t, err, g.body) {
			assert.Equal(t, string(g.want), string(k), g.body)
		}
	}
	bad := map[string]string{
		"Duration=160":              "no Signal line",
		"Signal=":                   "bad signal",
		"Signal=X\r\n":              "bad signal",
		"Signal=5\r\nDuration=long": "bad Duration",
		"garbage":                   "not name=value",
		"Signal=16":                 "bad signal",
	}
	for body, want := range bad {
		_, err := ParseInfo("application/dtmf-relay", []byte(body))
		if assert.Error(t, err, body) {
			assert.Contains(t, err.Error(), want, body)
		}
	}
	_, err := ParseInfo("text/plain", []byte("5"))
	assert.ErrorContains(t, err, "unsupported content type")
}

func FuzzParseInfo(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160"))
	f.Add("application/dtmf", []byte("#"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		k, err := ParseInfo(ct, body)
		if err == nil && !isDigitKey(k) {
			t.Fatalf("accepted key %q", k)
		}
	})
}
