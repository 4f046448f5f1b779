package webhook

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSignVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"e1"}`)
	h := Sign("secret-0123456789", now, body)
	assert.True(t, strings.HasPrefix(h, "t=1800000000,v1="))
	assert.NoError(t, Verify("secret-0123456789", h, body, now.Add(time.Minute), 5*time.Minute))
	assert.ErrorIs(t, Verify("secret-0123456789", h, []byte(`{"id":"e2"}`), now, 5*time.Minute), ErrBadSignature, "altered body")
	assert.ErrorIs(t, Verify("another-secret-xx", h, body, now, 5*time.Minute), ErrBadSignature)
	assert.ErrorIs(t, Verify("secret-0123456789", h, body, now.Add(time.Hour), 5*time.Minute), ErrStale, "a replay")
	assert.ErrorIs(t, Verify("secret-0123456789", "", body, now, time.Minute), ErrNoSignature)
	assert.ErrorIs(t, Verify("secret-0123456789", "t=x,v1=00", body, now, time.Minute), ErrBadSignature)
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	assert.Equal(t, time.Second, backoff(time.Second, time.Minute, 1))
	assert.Equal(t, 8*time.Second, backoff(time.Second, time.Minute, 4))
	assert.Equal(t, time.Minute, backoff(time.Second, time.Minute, 40))
}

// FuzzVerify: any header is refused or accepted without a panic; only
// the right signature is accepted.
func FuzzVerify(f *testing.F) {
	f.Add("t=1,v1=ab", []byte("x"))
	f.Add("v1=,t=,,=", []byte{})
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if Verify("k-0123456789abcdef", header, body, time.Unix(1, 0), time.Hour) != nil {
			return
		}
		// Accepted: the header must hold the MAC of its own timestamp.
		for _, part := range strings.Split(header, ",") {
			if k, v, _ := strings.Cut(strings.TrimSpace(part), "="); k == "t" {
				if strings.Contains(header, "v1="+mac("k-0123456789abcdef", v, body)) {
					return
				}
			}
		}
		t.Fatalf("accepted a header it did not sign: %q", header)
	})
}
