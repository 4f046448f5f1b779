package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/node/nodetest"
)

// A node's disk that fills up (issue 23, issue 26's chaos run): its
// recordings_dir, the one place a node of a cluster writes audio files
// to (voicemail, records and events are in PostgreSQL; prompts are read),
// is put on a small tmpfs that the test fills. It needs root and a
// kernel that lets it mount (a container may not): otherwise it skips,
// and the same failure is covered without a mount by the recording
// package's fullDisk writer (recording/recording_test.go, through
// recording.Options.Create).

// fullDiskSize bounds the tmpfs: small, so filling it is quick.
const fullDiskSize = "1m"

// fullDiskRoom is what the filler leaves free: a recording starts (its
// header is written at once) and its first flush of audio (32 KiB, a
// second) finds the disk full.
const fullDiskRoom = 16 << 10

// mountFullDisk mounts a tmpfs of fullDiskSize on dir and fills it to
// fullDiskRoom, and
// unmounts it in Cleanup. It returns why it could not ("" when it did).
func mountFullDisk(t *testing.T, dir string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return "not root: no tmpfs can be mounted"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err.Error()
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+fullDiskSize+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		return fmt.Sprintf("mount -t tmpfs refused: %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		// Lazy: a node still holding a file there must not keep the
		// mount (and the test's temporary folder) behind.
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	// Today's folder first (the recorder writes into one per day), then
	// a filler up to the last byte.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, time.Now().UTC().Format("2006-01-02")), 0o755))
	f, err := os.Create(filepath.Join(dir, "filler"))
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for written := int64(0); written <= 2<<20; written += int64(len(chunk)) { // bounded: twice the size
		if _, err := f.Write(chunk); err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "filling the tmpfs: %v", err)
			// Room for a recording's header and half a second of it:
			// the disk fills up while the call is recorded.
			st, err := f.Stat()
			require.NoError(t, err)
			require.NoError(t, f.Truncate(st.Size()-fullDiskRoom))
			return ""
		}
	}
	t.Fatalf("a %s tmpfs took more than 2 MiB", fullDiskSize)
	return ""
}

// TestClusterNodeWithAFullDisk: a node whose recordings disk is full
// still answers calls and runs their menus; a recorded call's recording
// stops with a logged reason naming the file and ENOSPC; the call's
// record, its recording's index row (with the reason) and its events are
// written (they are in the database); the node keeps serving.
func TestClusterNodeWithAFullDisk(t *testing.T) {
	c := needCluster(t)
	hooks := newHookReceiver(t)
	c.hookURL = hooks.url
	c.startNodes(1)
	nd := c.nodes[0]
	if why := mountFullDisk(t, nd.recordings(c)); why != "" {
		t.Skip(why)
	}
	c.startKamailio()
	callID := c.fullDiskCall(t, nd)
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return hooks.has(callID, "call.started", "call.ended") },
		func() string { return fmt.Sprintf("the call's events did not arrive: %v", hooks.typesOf(callID)) })
	_, call := c.callOn(t, nd, "200") // still serving
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, call.Dialog.Bye(ctx))
}

// fullDiskCall places a call to the recorded menu (600) on nd, whose
// recordings disk is full, and checks what must hold; it returns the
// call's Call-ID.
func (c *cluster) fullDiskCall(t *testing.T, nd *clusterNode) string {
	t.Helper()
	caller, call := c.callOn(t, nd, "600")
	callID := call.Dialog.InviteRequest.CallID().Value()
	c.waitLog(nd, "recording stopped", nodetest.Patience)
	line := grepLines(readFile(t, nd.logf), "recording stopped")
	assert.Contains(t, line, "no space left on device", "the reason is ENOSPC")
	assert.Contains(t, line, nd.recordings(c), "the reason names the file")
	// The menu goes on: its prompt is heard again after the recording
	// stopped, and its key still works.
	caller.ResetPackets()
	nodetest.WaitPrompt(t, caller)
	var p presser
	p.keys(t, caller, call, "#")
	_, err := caller.WaitRequest("BYE", 20*time.Second)
	require.NoError(t, err, "the menu's hangup key ends the call")
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { _, state := c.record(callID); return state == "ended" },
		func() string {
			node, state := c.record(callID)
			return fmt.Sprintf("the call's record: %q on %q", state, node)
		})
	var stopped string
	nodetest.WaitUntil(t, nodetest.Patience, func() bool {
		return c.db.QueryRow(`SELECT stopped FROM recordings WHERE call_id = $1`, callID).Scan(&stopped) == nil
	}, func() string { return "the recording was not indexed" })
	assert.Contains(t, stopped, "no space left on device", "the index says why the recording stopped")
	select {
	case <-nd.done:
		t.Fatalf("%s exited (%v):\n%s", nd.id, nd.err, tailFile(nd.logf, 3000))
	default:
	}
	return callID
}
