package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/node"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// `ivrd calls place` rings a phone from a running ivrd; the phone
// answers and the call's record says outbound.
func TestCallsPlaceCommand(t *testing.T) {
	t.Parallel()
	path := nodetest.WriteConfig(t, oneIVR)
	n := startNode(t, path)
	api := n.APIAddr().String()
	tokenFile := filepath.Join(node.DataDir(path), "api-token")
	tok := nodetest.FirstToken(t, node.DataDir(path))
	phone := siptest.NewFarEnd(t, "answer")

	code, out, errb := runCLI("calls", "place", "--api", api, "--token", tokenFile, "--to", phone.URI(), "--ivr", "main",
		"--caller-id", "15550002222", "--var", "account=42", "--ring-timeout", "10s")
	require.Equal(t, 0, code, errb)
	id := strings.TrimSpace(strings.TrimPrefix(out, "placed "))
	require.NotEmpty(t, id)
	select {
	case inv := <-phone.Invites:
		assert.Equal(t, id, inv.CallID().Value())
	case <-time.After(10 * time.Second):
		t.Fatal("the phone never rang")
	}
	require.NoError(t, phone.Dialog().Bye(t.Context()))
	require.Eventually(t, func() bool {
		code, body, _ := nodetest.APICall(t, api, tok, "GET", "/api/v1/calls/history/"+id, "", nil)
		var rec cdr.Record
		return code == http.StatusOK && json.Unmarshal(body, &rec) == nil && rec.State == cdr.StateEnded &&
			rec.Direction == cdr.DirectionOutbound && rec.From == "15550002222"
	}, 10*time.Second, 20*time.Millisecond, "the placed call's record")

	code, _, errb = runCLI("calls", "place", "--api", api, "--token", tokenFile, "--to", phone.URI(), "--ivr", "nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, errb, "nope")
	code, _, _ = runCLI("calls", "place", "--api", api, "--token", tokenFile, "--to", phone.URI())
	assert.Equal(t, 2, code, "--ivr or --on-answer is required")
	code, _, _ = runCLI("calls", "place", "--to", "x", "--ivr", "main", "--var", "novalue")
	assert.Equal(t, 2, code)
}
