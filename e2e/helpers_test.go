package e2e

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/sip/siptest"
)

func newCaller(t *testing.T) *siptest.Caller {
	t.Helper()
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}
