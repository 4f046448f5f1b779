package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/sip/siptest"
)

// wazoCall sends one confd request the Wazo way (X-Auth-Token only).
func wazoCall(t *testing.T, svc *Node, token, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+svc.ctl.ln.Addr().String()+"/api/confd/1.1"+path, bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	req.Header.Set("X-Auth-Token", token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

// The seed's "IVR with a schedule" on a running ivrd: a schedule created
// and attached the Wazo way screens the next real SIP call. The call's
// clock is the real one, so the schedule is made closed now: open for one
// minute six hours away, every day.
func TestWazoScheduleClosesNextCall(t *testing.T) {
	t.Parallel()
	l := startLive(t)
	tok := firstToken(t, l.svc)
	at := time.Now().UTC().Add(6 * time.Hour)
	body := fmt.Sprintf(`{"name":"Office hours","timezone":"UTC","open_periods":[{"hours_start":%q,"hours_end":%q,"week_days":[1,2,3,4,5,6,7]}],
		"closed_destination":{"type":"sound","filename":"invalid"},"enabled":true}`, at.Format("15:04"), at.Add(time.Minute).Format("15:04"))
	code, data := wazoCall(t, l.svc, tok, "POST", "/schedules", body)
	require.Equal(t, 201, code, string(data))
	var sched struct{ ID int64 }
	require.NoError(t, json.Unmarshal(data, &sched))
	code, data = wazoCall(t, l.svc, tok, "PUT", fmt.Sprintf("/incalls/100/schedules/%d", sched.ID), "")
	require.Equal(t, 204, code, string(data))
	waitConfig(t, l.svc, func(s *Node) bool {
		return s.snap.Load().Config.IVRByID("main").NumberSchedules["100"] == "office-hours"
	})

	c, err := siptest.NewCaller("tcp")
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call, err := c.Call(ctx, l.svc.sip.Addr("tcp"), "100")
	require.NoError(t, err)
	// Closed: the closed sound (200 ms), then ivrd hangs up; the menu's
	// greeting (600 ms) and choices are never played.
	_, err = c.WaitRequest(sip.BYE, 10*time.Second)
	require.NoError(t, err, "a closed IVR hangs up after its closed sound")
	n := len(c.Packets())
	assert.True(t, n >= 5 && n < 25, "heard %d packets: the 200 ms closed sound, not the greeting and menu", n)

	id := call.Dialog.InviteRequest.CallID().Value()
	rec := endedRecord(t, l.svc, id)
	assert.Equal(t, "closed", rec.ScheduleBranch)

	// Detached the Wazo way: the next call gets the menu again.
	code, data = wazoCall(t, l.svc, tok, "DELETE", fmt.Sprintf("/incalls/100/schedules/%d", sched.ID), "")
	require.Equal(t, 204, code, string(data))
	waitConfig(t, l.svc, func(s *Node) bool { return s.snap.Load().Config.IVRByID("main").NumberSchedules["100"] == "" })
	c2, err := siptest.NewCaller("tcp")
	require.NoError(t, err)
	defer c2.Close()
	_, err = c2.Call(ctx, l.svc.sip.Addr("tcp"), "100")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(c2.Packets()) >= 55 }, 10*time.Second, 10*time.Millisecond,
		"the greeting and the menu play once the schedule is detached")
}
