package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/node"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// TestClusterBehindKamailio runs issue 15's acceptance on one machine:
// three ivrd nodes behind Debian's Kamailio with deploy/kamailio/kamailio.cfg,
// one PostgreSQL database, sipp and a test caller calling through Kamailio.
// The steps share the cluster and run in order: calls spread over the
// nodes; a menu changed through node 1's API is what calls on node 3 hear
// once it has applied it; a bridge works with the caller's leg through Kamailio;
// node 2 killed with SIGKILL under load loses only its own
// calls, each settled as interrupted by a survivor, and new calls all
// succeed afterwards; node 3 drained with SIGTERM under load drops none.
func TestClusterBehindKamailio(t *testing.T) {
	c := needCluster(t)
	far := siptest.NewFarEnd(t, "answer")
	c.farURI = far.URI()
	c.startNodes(3)
	c.startKamailio()
	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]

	t.Run("calls spread over the nodes", func(t *testing.T) {
		ok, failed := c.sipp("proxy_call.xml", 6, 12).wait(t, 60*time.Second)
		require.Equal(t, 0, failed, "failed calls")
		require.Equal(t, 12, ok)
		c.waitSettled(t, "node-1", "node-2", "node-3")
		rec := c.records()
		for _, nd := range c.nodes {
			// Round robin gives 4 each; a probe racing a call may shift one.
			assert.GreaterOrEqual(t, rec[nd.id]["ended"], 2, "calls ended on %s: %v", nd.id, rec)
		}
	})

	t.Run("a menu changed on node 1 is heard on node 3", func(t *testing.T) {
		// A new prompt uploaded to node 1 (stored in the database) and
		// made the probe menu's greeting and prompt, through node 1.
		wav := filepath.Join(c.dir, "high.wav")
		nodetest.WriteTone(t, wav, 1000, 2*time.Second)
		data, err := os.ReadFile(wav)
		require.NoError(t, err)
		require.Contains(t, []int{200, 201}, c.apiDo(n1, "PUT", "/prompts/high", "audio/wav", data))
		changed := time.Now()
		require.Equal(t, 200, c.apiDo(n1, "PATCH", "/ivrs/probe", "application/json", []byte(`{"greeting":"high","prompt":"high"}`)))
		// The other nodes say when they have applied the change (node 1
		// made it, and has it at once); how long that took is a figure,
		// not a check: the machine is shared.
		version := c.configVersion()
		for _, nd := range []*clusterNode{n2, n3} {
			c.waitLog(nd, fmt.Sprintf(`applied from the store" config_version=%d `, version), 10*time.Second)
		}
		t.Logf("nodes 2 and 3 applied node 1's change within %s", time.Since(changed).Round(time.Millisecond))

		caller := newCaller(t)
		onNode3 := false
		for i := 0; i < 6 && !onNode3; i++ {
			caller.ResetPackets()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			call, err := caller.Call(ctx, mustAddrPort(t, c.kamAddr), "200")
			require.NoError(t, err, "call %d through kamailio", i)
			// 400 ms of the greeting heard (20 loud packets).
			nodetest.WaitUntil(t, 5*time.Second, func() bool { return loudPackets(caller) >= 20 },
				func() string { return fmt.Sprintf("call %d heard %d loud packets", i, loudPackets(caller)) })
			tones := nodetest.Heard(caller.Packets())
			node := c.nodeAt(call.Media.Addr().String())
			require.NoError(t, call.Dialog.Bye(ctx))
			cancel()
			require.NotEmpty(t, tones, "call %d on %s heard nothing", i, node)
			assert.Equal(t, 1000.0, tones[0], "call %d on %s hears the new greeting, heard %v", i, node, tones)
			assert.NotContains(t, tones, 440.0, "call %d on %s still hears the old menu", i, node)
			onNode3 = node == n3.id
		}
		require.True(t, onNode3, "no call of six reached node 3 through kamailio")
	})

	t.Run("a bridge through kamailio", func(t *testing.T) {
		// The caller's leg passes through Kamailio, the node calls the far
		// end itself; audio flows both ways and the caller's BYE, routed
		// by Kamailio, ends both legs.
		caller := newCaller(t)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		call, err := caller.Call(ctx, mustAddrPort(t, c.kamAddr), "300")
		require.NoError(t, err)
		var seq uint16
		nodetest.WaitPrompt(t, caller)
		nodetest.SendEvent(t, caller, call.Media, 101, '2', &seq, 1000)
		select {
		case <-far.Invites:
		case <-time.After(5 * time.Second):
			t.Fatal("the far end was not called")
		}
		require.NotNil(t, far.Dialog(), "the far end answered")
		nodetest.WaitUntil(t, 10*time.Second, func() bool { return slices.Contains(nodetest.Heard(caller.Packets()), 1000.0) },
			func() string {
				return fmt.Sprintf("the far end's 1 kHz tone never reached the caller through the bridge: heard %v", nodetest.Heard(caller.Packets()))
			})
		require.NoError(t, call.Dialog.Bye(ctx))
		select {
		case <-far.Bye:
		case <-time.After(5 * time.Second):
			t.Fatal("far end got no BYE after the caller's BYE through kamailio")
		}
	})

	t.Run("SIGKILL loses only the killed node's calls", func(t *testing.T) {
		before := c.records()
		load := c.sipp("proxy_call.xml", 8, 64)
		c.carrying(t, "node-1", "node-2", "node-3") // mid-load
		require.NoError(t, n2.cmd.Process.Signal(syscall.SIGKILL))
		<-n2.done
		ok, failed := load.wait(t, 90*time.Second)
		t.Logf("load with node 2 killed: %d successful, %d failed", ok, failed)
		require.Equal(t, 64, ok+failed)

		// The survivors' sweep settles node 2's calls: bounded by its
		// heartbeat limit and a few sweeps.
		settle := node.LostAfter + 5*node.HeartbeatEvery + 5*time.Second
		nodetest.WaitUntil(t, settle, func() bool { return c.records()["node-2"]["started"] == 0 },
			func() string { return "node 2's calls still 'started' after the kill" })
		c.waitSettled(t, "node-1", "node-3")
		after := c.records()
		failedIDs := load.failedCalls(t)
		require.Len(t, failedIDs, failed, "the calls sipp logged as not completed are the failed ones")
		assert.NotEmpty(t, failedIDs, "node 2 carried calls when killed")
		// Every failed call was node 2's, and a survivor recorded it lost.
		for _, id := range failedIDs {
			node, state := c.record(id)
			assert.Equal(t, "node-2", node, "failed call %s", id)
			assert.Equal(t, "interrupted", state, "failed call %s", id)
		}
		// A call node 2 finished just before the kill may have lost its
		// end with it (records are written after the call, from a queue):
		// it is marked interrupted though the caller saw it complete.
		// Say so rather than hide it; it is not a lost call.
		for id := range c.interrupted("node-2") {
			if !slices.Contains(failedIDs, id) {
				t.Logf("call %s completed at the caller, but node 2 was killed before writing its end: recorded interrupted", id)
			}
		}
		for _, id := range []string{"node-1", "node-3"} {
			assert.Equal(t, before[id]["interrupted"], after[id]["interrupted"], "no call on %s lost", id)
		}
		assert.Contains(t, readFile(t, n1.logf)+readFile(t, n3.logf), "node lost: its unfinished calls marked interrupted")

		// Long after the probe interval: node 2 is out of the rotation and
		// every new call succeeds on the others.
		// Kamailio's OPTIONS probes mark node 2 down; it shows no state
		// the test could read (no ctl module), so the test lets one probe
		// interval pass: the scenario's time, as an operator would wait.
		time.Sleep(probeInterval * time.Second)
		ok, failed = c.sipp("proxy_call.xml", 6, 18).wait(t, 60*time.Second)
		assert.Equal(t, 0, failed, "new calls failed after the probe interval")
		assert.Equal(t, 18, ok)
		c.waitSettled(t, "node-1", "node-3")
		assert.Equal(t, total(after["node-2"]), total(c.records()["node-2"]), "no new call went to the dead node")
	})

	t.Run("SIGTERM drains node 3 with no call dropped", func(t *testing.T) {
		before := c.records()
		load := c.sipp("proxy_call.xml", 6, 30)
		c.carrying(t, "node-3") // node 3 has calls when it is told to stop
		require.NoError(t, n3.cmd.Process.Signal(syscall.SIGTERM))
		select {
		case <-n3.done:
		case <-time.After(45 * time.Second):
			t.Fatalf("node 3 still running 45 s after SIGTERM:\n%s", tailFile(n3.logf, 2000))
		}
		assert.NoError(t, n3.err, "node 3 exit status")
		ok, failed := load.wait(t, 60*time.Second)
		assert.Equal(t, 0, failed, "calls dropped by the drain")
		assert.Equal(t, 30, ok)
		c.waitSettled(t, "node-1", "node-3")
		after := c.records()
		assert.Positive(t, after["node-3"]["ended"]-before["node-3"]["ended"], "node 3 carried calls when it was told to stop")
		assert.Equal(t, before["node-3"]["interrupted"], after["node-3"]["interrupted"], "node 3 left no call unfinished")
		assert.Contains(t, readFile(t, n3.logf), "drained: no calls left")
	})
}

// waitSettled waits (bounded) until the nodes named have no call record
// left 'started': every call they carried is written as ended.
func (c *cluster) waitSettled(t *testing.T, nodes ...string) {
	t.Helper()
	nodetest.WaitUntil(t, 20*time.Second, func() bool {
		rec := c.records()
		return !slices.ContainsFunc(nodes, func(n string) bool { return rec[n]["started"] > 0 })
	}, func() string { return fmt.Sprintf("calls still 'started' after the load ended: %v", c.records()) })
}

// nodeIDs names the cluster's nodes.
func (c *cluster) nodeIDs() []string {
	ids := make([]string, 0, len(c.nodes))
	for _, nd := range c.nodes {
		ids = append(ids, nd.id)
	}
	return ids
}

// nodeAt names the node whose address ip is.
func (c *cluster) nodeAt(ip string) string {
	for _, nd := range c.nodes {
		if nd.ip == ip {
			return nd.id
		}
	}
	return "unknown node " + ip
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func mustAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	require.NoError(t, err)
	return ap
}

// loudPackets counts the packets the caller received that carry sound.
func loudPackets(c *siptest.Caller) int {
	n := 0
	for _, p := range c.Packets() {
		if nodetest.Loud(p) {
			n++
		}
	}
	return n
}
