package node

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// firstPure is the index of the first packet c received that is a pure
// tone of freq (a test prompt, not speech nor music), -1 if none.
func firstPure(c *siptest.Caller, freq float64) int {
	for i, p := range c.Packets() {
		pcm := make([]int16, len(p.Payload))
		var e float64
		for j, b := range p.Payload {
			pcm[j] = g711.DecodeUlawFrame(b)
			e += float64(pcm[j]) * float64(pcm[j])
		}
		rms := math.Sqrt(e / float64(max(len(pcm), 1)))
		if rms > 1000 && toneLevel(pcm, freq) > 0.8*rms {
			return i
		}
	}
	return -1
}

// Issue 20, the estimated wait (announce_wait): the first caller of a
// queue that has answered nobody hears its position and nothing about
// the wait; once it was answered (a history), the next caller hears its
// position and then its estimated wait: a few seconds' average, "less
// than one minute".
func TestQueueAnnouncesTheEstimatedWait(t *testing.T) {
	t.Parallel()
	agent := siptest.NewFarEnd(t, "answer")
	path := writeConfig(t, queueConf, "AGENT", agent.URI(), "QUEUE",
		`{ id: support, number: "600", members: ["201"], music: music, announce_position: 5s, announce_wait: true }`)
	dir := filepath.Dir(path)
	writeTone(t, filepath.Join(dir, "music.wav"), 440, 500*time.Millisecond)
	// The site's prompts take the bundled ones' place: tones the test
	// can tell apart (the number and "less than one minute" stay speech).
	writeTone(t, filepath.Join(dir, "queue-position.wav"), 700, 300*time.Millisecond)
	writeTone(t, filepath.Join(dir, "queue-wait.wav"), 300, 300*time.Millisecond)
	svc, logs := startLogged(t, path)
	tok := firstToken(t, svc)
	logout := func() {
		code, body, _ := apiCall(t, svc, tok, "POST", "/api/v1/queues/support/agents/201/logout", "", nil)
		require.Equal(t, http.StatusOK, code, string(body))
	}
	logout()

	first, firstCall, firstID := queueCaller(t, svc, "600")
	waitLogLine(t, logs, `msg="queue position announced"`, "call_id="+firstID, "position=1")
	waitLogLine(t, logs, `msg="queue wait not announced: no answered caller to estimate from yet"`, "call_id="+firstID)
	waitUntil(t, nodetest.Patience, func() bool { return firstPure(first, 700) >= 0 },
		func() string { return "the first caller never heard its position" })
	require.Equal(t, -1, firstPure(first, 300), "no history: the first caller hears nothing about the wait")

	code, body, _ := apiCall(t, svc, tok, "POST", "/api/v1/queues/support/agents/201/login", "", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	waitInvite(t, agent, "the agent, once logged in")
	waitUntil(t, nodetest.Patience, func() bool { return listQueues(t, svc, tok)[0].Answered == 1 },
		func() string { return "the agent never answered the first caller" })
	require.Equal(t, -1, firstPure(first, 300), "nor afterwards")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, firstCall.Dialog.Bye(ctx))
	waitUntil(t, nodetest.Patience, func() bool {
		q := listQueues(t, svc, tok)[0]
		return q.Agents[0].State == "free" && q.AverageWaitSeconds >= 5
	}, func() string {
		return fmt.Sprintf("the agent is not free again, or no average: %+v", listQueues(t, svc, tok)[0])
	})
	logout()

	second, _, secondID := queueCaller(t, svc, "600")
	waitLogLine(t, logs, `msg="queue wait announced"`, "call_id="+secondID, "position=1", `said="less than a minute"`)
	waitUntil(t, nodetest.Patience, func() bool { return firstPure(second, 300) >= 0 },
		func() string { return "the second caller never heard the wait announcement" })
	pos, wait := firstPure(second, 700), firstPure(second, 300)
	require.GreaterOrEqual(t, pos, 0, "the second caller heard its position")
	require.Less(t, pos, wait, "the position, then the wait")
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "call_id="+secondID) {
			require.NotContains(t, line, "queue wait not announced", "the second caller has a history to hear")
		}
	}
}
