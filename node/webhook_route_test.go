package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
	"github.com/ivrd/ivrd/webhook"
)

// Tones tell what the caller hears: 440 the greeting, 1000 the menu, 700
// the "we will text you" prompt.
const webhookRouteConfig = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
webhooks:
  - name: crm
    url: "CRM_URL"
    secret: "0123456789abcdef-test"
  - url: "OTHER_URL"
    secret: "0123456789abcdef-test"
    events: [call.started]
ivrs:
  - id: main
    extensions: ["100"]
    greeting: welcome
    prompt: main-choices
    response_timeout: 10s # longer than the test waits: a replay is the route's
    keys:
      "2": { webhook: crm, event: crm.callback, data: { queue: sales, priority: "high" } }
      "3": { webhook: crm, then: { play: texted, then: hangup } }
      "#": hangup
`

func startWebhookRoute(t *testing.T) (*Node, *receiver, *receiver) {
	t.Helper()
	crm, other := &receiver{}, &receiver{}
	crm.up.Store(true)
	other.up.Store(true)
	crmSrv, otherSrv := httptest.NewServer(crm), httptest.NewServer(other)
	t.Cleanup(crmSrv.Close)
	t.Cleanup(otherSrv.Close)
	path := writeConfig(t, webhookRouteConfig, "CRM_URL", crmSrv.URL+"/hook", "OTHER_URL", otherSrv.URL+"/hook")
	dir := filepath.Dir(path)
	writeTone(t, filepath.Join(dir, "welcome.wav"), 440, 300*time.Millisecond)
	writeTone(t, filepath.Join(dir, "main-choices.wav"), 1000, 300*time.Millisecond)
	writeTone(t, filepath.Join(dir, "texted.wav"), 700, 300*time.Millisecond)
	return startConfig(t, path), crm, other
}

// tonePackets counts the packets the caller heard whose tone is f.
func tonePackets(c *siptest.Caller, f float64) int {
	n := 0
	for _, p := range c.Packets() {
		if got := heard([]siptest.Packet{p}); len(got) == 1 && got[0] == f {
			n++
		}
	}
	return n
}

// eventOf waits for the receiver's first event of type typ.
func eventOf(t *testing.T, rv *receiver, typ string) webhook.Event {
	t.Helper()
	var found webhook.Event
	require.Eventually(t, func() bool {
		for _, ev := range rv.got() {
			if ev.Type == typ {
				found = ev
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "a %s event", typ)
	require.NoError(t, rv.sigError)
	return found
}

// Pressing a webhook route's key: the named webhook gets the route's
// event, signed, with the call's numbers, menu, key and configured data;
// the other webhook does not; the caller hears the menu again.
func TestWebhookRouteOnACall(t *testing.T) {
	t.Parallel()
	svc, crm, other := startWebhookRoute(t)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	waitHeard(t, c, 440, 1000)
	// Press once the menu has played whole, so that its replay is told
	// apart by its packets.
	nodetest.WaitToneOver(t, c, 1000)
	before := tonePackets(c, 1000)
	var seq uint16
	sendEvent(t, c, call.Media, 101, '2', &seq, 8000)
	// The menu again: heard() merges it with the first playing, so count
	// its packets (a 300 ms prompt is 15 of them).
	require.Eventually(t, func() bool { return tonePackets(c, 1000) >= before+14 }, 4*time.Second, 20*time.Millisecond, "the menu plays again")
	waitHeard(t, c, 440, 1000)

	ev := eventOf(t, crm, "crm.callback")
	started := eventOf(t, crm, "call.started")
	callID := call.Dialog.InviteRequest.CallID().Value()
	assert.Equal(t, callID, ev.CallID)
	data := ev.Data.(map[string]any)
	from := started.Data.(map[string]any)["from"]
	assert.NotEmpty(t, from)
	assert.Equal(t, from, data["from"])
	assert.Equal(t, "100", data["to"])
	assert.Equal(t, "main", data["menu"])
	assert.Equal(t, "2", data["key"])
	assert.Equal(t, map[string]any{"queue": "sales", "priority": "high"}, data["data"])

	require.NoError(t, call.Dialog.Bye(ctx))
	require.Eventually(t, func() bool { return svc.obs.live.Len() == 0 }, 10*time.Second, 20*time.Millisecond)
	eventOf(t, crm, "call.ended")
	eventOf(t, other, "call.started")
	for _, e := range other.got() {
		assert.Equal(t, "call.started", e.Type, "the unnamed webhook gets only what its filter asks for, not the route's event")
	}
}

// then: the caller goes where it says; the event type defaults to
// route.webhook.
func TestWebhookRouteThen(t *testing.T) {
	t.Parallel()
	svc, crm, _ := startWebhookRoute(t)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	waitHeard(t, c, 440, 1000)
	var seq uint16
	sendEvent(t, c, call.Media, 101, '3', &seq, 8000)
	waitHeard(t, c, 440, 1000, 700)
	ev := eventOf(t, crm, "route.webhook")
	data := ev.Data.(map[string]any)
	assert.Equal(t, "3", data["key"])
	assert.Equal(t, map[string]any{}, data["data"])
	require.Eventually(t, func() bool { return svc.obs.live.Len() == 0 }, 10*time.Second, 20*time.Millisecond, "then: hangup ends the call")
}

// Zendesk's textback through the API of a served ivrd: the route is
// created, shown back as textback, and a call pressing its key makes
// the webhook receive zendesk.textback with the SMS text, the number id
// and the caller's number; the caller hears the menu again.
func TestZendeskTextbackOnACall(t *testing.T) {
	t.Parallel()
	svc, crm, _ := startWebhookRoute(t)
	token := firstToken(t, svc)
	code, body, _ := apiCall(t, svc, token, "GET", "/api/v2/channels/voice/ivr.json", "", nil)
	require.Equal(t, 200, code, string(body))
	var list struct {
		IVRs []struct {
			ID    int64 `json:"id"`
			Menus []struct {
				ID      int64 `json:"id"`
				Default bool  `json:"default"`
			} `json:"menus"`
		} `json:"ivrs"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	require.Len(t, list.IVRs, 1)
	routes := fmt.Sprintf("/api/v2/channels/voice/ivr/%d/menus/%d/routes", list.IVRs[0].ID, list.IVRs[0].Menus[0].ID)
	code, body, _ = apiCall(t, svc, token, "POST", routes+".json", "application/json",
		[]byte(`{"ivr_route": {"action": "textback", "keypress": "4", "options": {"sms_text": "Book online: https://example.com", "textback_phone_number_id": 360000123}}}`))
	require.Equal(t, 201, code, string(body))
	var created struct {
		Route map[string]any `json:"ivr_route"`
	}
	require.NoError(t, json.Unmarshal(body, &created))
	code, body, _ = apiCall(t, svc, token, "GET", fmt.Sprintf("%s/%d.json", routes, int64(created.Route["id"].(float64))), "", nil)
	require.Equal(t, 200, code, string(body))
	var shown struct {
		Route map[string]any `json:"ivr_route"`
	}
	require.NoError(t, json.Unmarshal(body, &shown))
	assert.Equal(t, "textback", shown.Route["action"])
	assert.Equal(t, map[string]any{"sms_text": "Book online: https://example.com", "textback_phone_number_id": 360000123.0}, shown.Route["options"])
	assert.Contains(t, shown.Route["ivrd_note"], "ivrd sends no SMS")
	waitConfig(t, svc, func(s *Node) bool {
		d := s.snap.Load().Config.IVRByID("main").Keys["4"]
		return d != nil && d.Kind == ivr.KindWebhook
	})

	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	waitHeard(t, c, 440, 1000)
	nodetest.WaitToneOver(t, c, 1000)
	before := tonePackets(c, 1000)
	var seq uint16
	sendEvent(t, c, call.Media, 101, '4', &seq, 8000)
	require.Eventually(t, func() bool { return tonePackets(c, 1000) >= before+14 }, 4*time.Second, 20*time.Millisecond, "the menu plays again")

	ev := eventOf(t, crm, "zendesk.textback")
	from := eventOf(t, crm, "call.started").Data.(map[string]any)["from"].(string)
	require.NotEmpty(t, from)
	data := ev.Data.(map[string]any)
	assert.Equal(t, "4", data["key"])
	assert.Equal(t, map[string]any{"sms_message": "Book online: https://example.com", "phone_number_id": "360000123", "caller": from},
		data["data"])
	require.NoError(t, call.Dialog.Bye(ctx))
}
