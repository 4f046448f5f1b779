package ivr

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const webhookBase = `
server: { media: { rtp_ports: "10000-19999" } }
webhooks:
  - name: crm
    url: "https://crm.example.com/ivrd"
    secret: "0123456789abcdef-test"
ivrs:
  - id: main
    extensions: ["100"]
    prompt: menu
    keys:
      "2": { webhook: crm, event: crm.callback, data: { queue: sales } }
      "3": { webhook: "https://crm.example.com/ivrd", then: hangup }
`

func TestWebhookDestinationValidates(t *testing.T) {
	t.Parallel()
	assert.Empty(t, problemsOf(t, webhookBase))
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown webhook", `webhook: crm, event`, `webhook: nobody, event`,
			`ivrs[main].keys.2.webhook: unknown webhook "nobody" (name or url of a webhooks: entry)`},
		{"filter drops it", `secret: "0123456789abcdef-test"`, "secret: \"0123456789abcdef-test\"\n    events: [call.ended]",
			`ivrs[main].keys.2: warning: webhook crm's events filter drops crm.callback: add it to its events`},
		{"a route's event may be filtered on", `secret: "0123456789abcdef-test"`, "secret: \"0123456789abcdef-test\"\n    events: [crm.callback, route.webhook]", ``},
		{"no webhooks", "webhooks:\n  - name: crm\n    url: \"https://crm.example.com/ivrd\"\n    secret: \"0123456789abcdef-test\"\n", "",
			`ivrs[main].keys.2: warning: no webhooks: are configured: the crm.callback event goes nowhere`},
		{"posing as a call event", `event: crm.callback`, `event: call.ended`,
			`ivrs[main].keys.2.event: "call.ended" is a call event: a route must not pose as one`},
		{"bad event name", `event: crm.callback`, `event: "Crm Callback"`,
			`ivrs[main].keys.2.event: "Crm Callback": want a lower-case dotted name like zendesk.textback`},
		{"event on another kind", `"3": { webhook: "https://crm.example.com/ivrd", then: hangup }`, `"3": { ivr: main, event: x }`,
			`ivrs[main].keys.3: event and data only apply to webhook`},
	} {
		y := strings.Replace(webhookBase, tc.from, tc.to, 1)
		require.NotEqual(t, webhookBase, y, tc.name)
		var got []string
		for _, p := range problemsOf(t, y) {
			got = append(got, p.String())
		}
		if tc.want == "" {
			assert.Empty(t, got, tc.name)
			continue
		}
		assert.Contains(t, got, tc.want, tc.name)
	}
}

// The trace shows the step (the menu prompt takes no time here: the
// first key stops it, the second comes after it ended), with the event and where it goes; the menu
// plays again (then's default) or then is followed.
func TestSimulateWebhookDestination(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(webhookBase))
	require.NoError(t, err)
	tr, err := Simulate(c, SimOptions{To: "100", Script: "2,wait:1s,3", At: parisWeekday})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, WriteTrace(&out, tr))
	assert.Equal(t, `{"t_ms":0,"event":"answer","ivr":"main"}
{"t_ms":0,"event":"enter","ivr":"main"}
{"t_ms":0,"event":"play","prompt":"menu","barge_in":true}
{"t_ms":0,"event":"digit","digit":"2"}
{"t_ms":0,"event":"stop","prompt":"menu"}
{"t_ms":0,"event":"webhook","ivr":"main","digits":"2","detail":"crm.callback to crm"}
{"t_ms":0,"event":"play","prompt":"menu","barge_in":true}
{"t_ms":1000,"event":"digit","digit":"3"}
{"t_ms":1000,"event":"webhook","ivr":"main","digits":"3","detail":"route.webhook to https://crm.example.com/ivrd"}
{"t_ms":1000,"event":"hangup","reason":"hangup"}
`, out.String())
}

// The executor hands the driver the event with the call's entry and a
// copy of the data (a driver keeping it cannot change the config).
func TestExecutorNotifies(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(webhookBase))
	require.NoError(t, err)
	e := NewExecutor(c, c.IVRByID("main"), "+15551234567", parisWeekday)
	e.Handle(Started{})
	var n *Notify
	for _, a := range e.Handle(DigitPressed{Key: '2'}) {
		if x, ok := a.(Notify); ok {
			n = &x
		}
	}
	require.NotNil(t, n)
	assert.Equal(t, Notify{Webhook: "crm", Event: "crm.callback", IVR: "main", Digits: "2", Data: map[string]string{"queue": "sales"}}, *n)
	n.Data["queue"] = "changed"
	assert.Equal(t, "sales", c.IVRByID("main").Keys["2"].Data["queue"])
}

// A textback route (as the Zendesk API stores it) with no webhook to
// carry it: a warning that says no SMS is sent; the caller's number is
// put into data when the event is sent.
func TestTextbackWithoutWebhooks(t *testing.T) {
	t.Parallel()
	y := `
server: { media: { rtp_ports: "10000-19999" } }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: menu
    keys:
      "4": { webhook: "", event: zendesk.textback, data: { sms_message: "hi", caller: "${caller}" } }
`
	var got []string
	for _, p := range problemsOf(t, y) {
		got = append(got, p.String())
	}
	assert.Equal(t, []string{`ivrs[main].keys.4: warning: no webhooks: are configured: the zendesk.textback event goes nowhere (ivrd sends no SMS itself: a webhook receiver must)`}, got)
	c, err := Parse([]byte(y))
	require.NoError(t, err)
	e := NewExecutor(c, c.IVRByID("main"), "+15551234567", parisWeekday)
	e.Handle(Started{})
	for _, a := range e.Handle(DigitPressed{Key: '4'}) {
		if n, ok := a.(Notify); ok {
			assert.Equal(t, map[string]string{"sms_message": "hi", "caller": "+15551234567"}, n.Data)
			return
		}
	}
	t.Fatal("no Notify")
}
