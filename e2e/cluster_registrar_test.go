package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// TestClusterRegistrationReachesEveryNode is issue 26's "registrations
// across nodes": a phone registers as 1001 through Kamailio, which hands
// the REGISTER to one node (node A) with a Path back through itself. A
// call placed through Kamailio that lands on another node reaches the
// phone as an extension and as a ring group, through Kamailio, and the
// phone and the caller hear each other; a message left for box 1001 on
// yet another node lights the phone's lamp (MWI NOTIFY with the new
// count, sent by the node that took the message, through Kamailio); the
// phone's un-REGISTER removes its binding for every node.
func TestClusterRegistrationReachesEveryNode(t *testing.T) {
	c := needCluster(t)
	writeVoicemailPrompts(t, c.prompts)
	c.startNodes(3)
	c.startKamailio()
	kam := mustAddrPort(t, c.kamAddr)
	phone := siptest.NewFarEnd(t, "answer")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio:\n%s", tailFile(c.kamLog, 3000))
			for _, nd := range c.nodes {
				t.Logf("%s:\n%s", nd.id, grepLines(readFile(t, nd.logf), "regist", "bridge", "mwi", "group", "extension"))
			}
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := phone.Register(ctx, kam, "1001", phonePassword, 300)
	require.NoError(t, err, "REGISTER through kamailio")
	require.Equal(t, 200, res.StatusCode, "REGISTER through kamailio: %s", res.StartLine())
	holder, path := c.binding(t, "1001", phone.ContactOf("1001"))
	require.NotEmpty(t, holder, "the binding is in the shared store")
	assert.Contains(t, path, c.kamAddr, "the Path names kamailio")
	assert.Contains(t, path, "received=", "and the address the phone registered from")
	var others []*clusterNode
	for _, nd := range c.nodes {
		if nd.id != holder {
			others = append(others, nd)
		}
	}
	require.Len(t, others, 2, "one node holds the registration: %s", holder)
	t.Logf("the registration landed on %s", holder)

	t.Run("an extension destination on another node rings the phone", func(t *testing.T) {
		c.reachPhone(t, phone, others[0], "1")
	})
	t.Run("a ring group on another node rings the phone", func(t *testing.T) {
		c.reachPhone(t, phone, others[1], "2")
	})
	t.Run("a message left on another node lights the phone's lamp", func(t *testing.T) {
		drain(phone.Notifys)
		caller, call := c.callOn(t, others[1], "400")
		var p presser
		p.keys(t, caller, call, "6")
		nodetest.WaitToneOver(t, caller, 1000, vmCandidates...) // the recorder's beep
		require.NoError(t, caller.SendTone(call.Media, 700, 50, &p.seq))
		p.keys(t, caller, call, "#")
		select {
		case n := <-phone.Notifys:
			body := string(n.Body())
			assert.Contains(t, body, "Messages-Waiting: yes")
			assert.Contains(t, body, "Voice-Message: 1/0", "the new count")
			assert.Equal(t, "message-summary", n.GetHeader("Event").Value())
			assert.Equal(t, kam.Port(), uint16(n.Via().Port), "through kamailio (top Via %s)", n.Via().Value())
		case <-time.After(nodetest.Patience):
			t.Fatalf("no MWI NOTIFY after a message on %s (registered on %s)", others[1].id, holder)
		}
		_, err := caller.WaitRequest("BYE", 20*time.Second)
		require.NoError(t, err, "goodbye after the message")
	})
	t.Run("un-REGISTER removes the binding for every node", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := phone.Register(ctx, kam, "1001", phonePassword, 0)
		require.NoError(t, err)
		require.Equal(t, 200, res.StatusCode)
		node, _ := c.binding(t, "1001", phone.ContactOf("1001"))
		assert.Empty(t, node, "no binding left")
		caller, call := c.callOn(t, others[0], "500")
		var p presser
		p.keys(t, caller, call, "1")
		c.waitLog(others[0], "extension is not registered: 1001", nodetest.Patience)
		select {
		case inv := <-phone.Invites:
			t.Fatalf("the phone was called after it unregistered: %s", inv.StartLine())
		default:
		}
		require.NoError(t, call.Dialog.Bye(ctx))
	})
}

// reachPhone calls menu 500 through kamailio until the call lands on nd,
// presses key (1: the extension, 2: the group) and checks that the
// phone is rung through kamailio, answers, and that audio flows both
// ways: the caller hears the phone's 1 kHz tone, the phone the caller's.
func (c *cluster) reachPhone(t *testing.T, phone *siptest.FarEnd, nd *clusterNode, key string) {
	t.Helper()
	drain(phone.Invites)
	before := len(phone.Packets())
	caller, call := c.callOn(t, nd, "500")
	var p presser
	p.keys(t, caller, call, key)
	var inv *sip.Request
	select {
	case inv = <-phone.Invites:
	case <-time.After(nodetest.Patience):
		t.Fatalf("the phone was not rung by %s", nd.id)
	}
	vias := inv.GetHeaders("Via")
	require.GreaterOrEqual(t, len(vias), 2, "the INVITE came through a proxy")
	assert.Contains(t, vias[0].Value(), c.kamAddr, "the INVITE came through kamailio")
	assert.Contains(t, vias[1].Value(), nd.sip, "from %s, where the call is", nd.id)
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return heardToneCount(caller, 1000) >= 10 },
		func() string {
			return fmt.Sprintf("the caller did not hear the phone: %v", nodetest.Heard(caller.Packets()))
		})
	require.NoError(t, caller.SendTone(call.Media, 700, 50, &p.seq))
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return loudAlaw(phone.Packets()[before:]) >= 10 },
		func() string {
			return fmt.Sprintf("the phone heard nothing of the caller (%d packets)", len(phone.Packets())-before)
		})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, call.Dialog.Bye(ctx), "BYE through kamailio")
	select {
	case <-phone.Bye:
	case <-time.After(nodetest.Patience):
		t.Fatal("the phone's leg was not hung up")
	}
}

// binding is the node holding aor's binding of contact and its Path
// ("" when there is none).
func (c *cluster) binding(t *testing.T, aor, contact string) (node, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := c.db.QueryContext(ctx, `SELECT node, path FROM sip_bindings WHERE aor = $1 AND contact = $2`, aor, contact)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		require.NoError(t, rows.Scan(&node, &path))
	}
	require.NoError(t, rows.Err())
	return node, path
}

// heardToneCount counts the caller's packets whose tone is freq (µ-law).
func heardToneCount(c *siptest.Caller, freq float64) int {
	n := 0
	for _, p := range c.Packets() {
		if !nodetest.Loud(p) {
			continue
		}
		pcm := make([]int16, len(p.Payload))
		for i, b := range p.Payload {
			pcm[i] = g711.DecodeUlawFrame(b)
		}
		if nodetest.ToneIn(pcm, 500, 1000, 440, 425) == freq {
			n++
		}
	}
	return n
}

// loudAlaw counts the packets with sound in them (PCMA, the phone's
// codec).
func loudAlaw(pkts []rtp.Packet) int {
	return len(slices.DeleteFunc(slices.Clone(pkts), func(p rtp.Packet) bool {
		return !slices.ContainsFunc(p.Payload, func(b byte) bool { s := g711.DecodeAlawFrame(b); return s > 100 || s < -100 })
	}))
}

// drain empties a channel of what earlier steps left in it.
func drain[T any](ch chan T) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}
