package node

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/asterisk"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// Each seed's own examples replayed end to end: the seed's request
// bodies (or dialplan) go in through the seed's own interface, then a
// real SIP call shows the IVR doing what the seed says. The prompts are
// tones so that what the caller hears tells which prompt played: 440 Hz
// the welcome, 700 Hz the menu, 300 Hz the invalid-choice sound; the
// far end a key leads to speaks 1 kHz.

// seedServer is the server section the seed tests' configurations share.
const seedServer = `
server:
  sip:
    listen: ["udp://127.0.0.1:0"]
  media:
    rtp_ports: "RTP_RANGE"
`

// seedCall calls number on svc and waits until the caller hears the
// tones in want, in order (the IVR's greeting and menu).
func seedCall(t *testing.T, svc *Node, number string, want ...float64) (*siptest.Caller, *siptest.Answered) {
	t.Helper()
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), nodetest.Patience)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), number)
	require.NoError(t, err, "calling %s", number)
	waitHeard(t, c, want...)
	return c, call
}

// seedPBX is the host the Wazo seed's internal numbers are reached at.
const seedPBX = "wazo.example.net"

// startWazoImport imports the Wazo seed's dialplan the way `ivrd import
// asterisk` does (its internal numbers reached at seedPBX) and starts a node
// on the result, with the seed's sounds as tones (the error sound and the
// submenu's choices 1 kHz: no call of the tests hears both).
func startWazoImport(t *testing.T, dialplan string) *Node {
	t.Helper()
	dir := t.TempDir()
	d, err := asterisk.Parse(strings.NewReader(dialplan))
	require.NoError(t, err)
	imported, err := asterisk.Translate(d, asterisk.Options{PBX: seedPBX, PromptsDir: dir}).YAML("dp-ivr-example.conf")
	require.NoError(t, err)
	writeTone(t, filepath.Join(dir, "ivr-example-welcome-sound.wav"), 440, 400*time.Millisecond)
	writeTone(t, filepath.Join(dir, "ivr-example-choices.wav"), 700, 600*time.Millisecond)
	writeTone(t, filepath.Join(dir, "ivr-example-invalid-choice.wav"), 300, 200*time.Millisecond)
	writeTone(t, filepath.Join(dir, "ivr-example-error.wav"), 1000, 200*time.Millisecond)
	writeTone(t, filepath.Join(dir, "ivr-example-submenu-choices.wav"), 1000, 600*time.Millisecond)
	server := strings.ReplaceAll(seedServer, "RTP_RANGE", nodetest.RTPRange(t))
	path := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(path, append([]byte(server), imported...), 0o644))
	return startConfig(t, path)
}

// The Wazo seed end to end: its minimal IVR dialplan imported, its "IVR
// external dial" steps sent to confd as the seed lists them (an
// extension in from-extern, an incall whose custom destination is
// Goto(dp-ivr-example,s,1), the two associated), then a call to the DID:
// the welcome once, the choices, an invalid key answered by the
// invalid-choice sound and the choices again (not the welcome), and 1
// sends the caller to 8000. The seed's internal dial
// (8899) reaches the same IVR.
func TestSeedReplayWazoDialplanAndIncall(t *testing.T) {
	t.Parallel()
	svc := startWazoImport(t, wazoMinimalDialplan)
	tok := firstToken(t, svc)

	// seeds/002_00bb72c0775417d4.txt, "IVR external dial".
	const did = "0155501234"
	code, data := wazoCall(t, svc, tok, "POST", "/extensions", `{"exten": "`+did+`", "context": "from-extern"}`)
	require.Equal(t, 201, code, string(data))
	var ext struct{ ID int64 }
	require.NoError(t, json.Unmarshal(data, &ext))
	code, data = wazoCall(t, svc, tok, "POST", "/incalls", `{"destination": {"type": "custom", "command": "Goto(dp-ivr-example,s,1)"}}`)
	require.Equal(t, 201, code, string(data))
	var incall struct{ ID int64 }
	require.NoError(t, json.Unmarshal(data, &incall))
	code, data = wazoCall(t, svc, tok, "PUT", fmt.Sprintf("/incalls/%d/extensions/%d", incall.ID, ext.ID), "")
	require.Equal(t, 204, code, string(data))
	waitConfig(t, svc, func(s *Node) bool {
		iv := s.snap.Load().Config.IVRByID("dp-ivr-example")
		return iv != nil && strings.Contains(strings.Join(iv.Extensions, ","), did)
	})

	c, call := seedCall(t, svc, did, 440, 700)
	var seq uint16
	sendEvent(t, c, call.Media, 101, '7', &seq, 1000) // no choice 7: i
	waitHeard(t, c, 440, 700, 300, 700)
	sendEvent(t, c, call.Media, 101, '1', &seq, 9000) // Goto(${IVR_DESTINATION_CONTEXT},8000,1)
	// The import keeps ivrd's default transfer (REFER, as Asterisk's
	// Transfer()): the caller is sent to 8000 at the PBX.
	ref, err := c.WaitRequest(sip.REFER, nodetest.Patience)
	require.NoError(t, err, "choice 1 transfers")
	require.Equal(t, "<sip:8000@"+seedPBX+">", ref.GetHeader("Refer-To").Value())
	completeRefer(t, c, call)
	rec := endedRecord(t, svc, call.Dialog.InviteRequest.CallID().Value())
	require.Equal(t, "extension 8000 refer \n", transferDests(rec), "the record names the transfer to 8000")

	// "IVR internal dial": 8899 reaches the same menu.
	_, internal := seedCall(t, svc, "8899", 440, 700)
	hangUp(t, internal)
}

// completeRefer reports a transfer the caller was asked for as done
// (NOTIFY 100 then 200, as a phone does) and waits for ivrd's BYE.
func completeRefer(t *testing.T, c *siptest.Caller, call *siptest.Answered) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), nodetest.Patience)
	defer cancel()
	for _, frag := range []string{"SIP/2.0 100 Trying\r\n", "SIP/2.0 200 OK\r\n"} {
		req := sip.NewRequest(sip.NOTIFY, call.Dialog.InviteResponse.Contact().Address)
		req.AppendHeader(sip.NewHeader("Event", "refer"))
		req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
		req.SetBody([]byte(frag))
		res, err := call.Dialog.Do(ctx, req)
		require.NoError(t, err)
		require.Equal(t, 200, res.StatusCode)
	}
	_, err := c.WaitRequest(sip.BYE, nodetest.Patience)
	require.NoError(t, err, "ivrd ends its side after the transfer")
}

// zendeskSeedConf is a Talk line as the Zendesk seed's routes assume it:
// an IVR (number 7000) whose menu plays the choices, and the group
// 10001 ("Support Group") the seed's routes name, whose agent's phone is
// extension 201.
const zendeskSeedConf = seedServer + `
prompts_dir: "PROMPTS"
extensions:
  - { number: "201", contact: "FAR" }
groups:
  - { id: "10001", name: "Support Group", members: ["201"] }
ivrs:
  - id: zd
    name: Zendesk line
    extensions: ["7000"]
    prompt: choices
    keys:
      "#": hangup
`

// zendeskCall sends one request to the Zendesk routes API with basic
// auth {email}/token:{api_token}, as the seed's code samples do.
func zendeskCall(t *testing.T, svc *Node, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte("agent@example.com/token:" + token))
	code, data, _ := apiCall(t, svc, token, method, path, "application/json", []byte(body), "Authorization", "Basic "+basic)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), string(data))
	return code, m
}

// The Zendesk Talk seed end to end: the seed's Create IVR Route example
// body (seeds/004_3bfedbec5317be49.txt, "Create IVR Route", "Example
// body": key 1 to the group 10001) sent to the line's menu, then a call
// to the line: the menu plays, 1 rings the group's agent, who answers
// and is heard.
func TestSeedReplayZendeskRouteToGroup(t *testing.T) {
	t.Parallel()
	far := siptest.NewFarEnd(t, "answer")
	path := writeConfig(t, zendeskSeedConf, "FAR", far.URI())
	writeTone(t, filepath.Join(filepath.Dir(path), "choices.wav"), 700, 600*time.Millisecond)
	svc := startConfig(t, path)
	tok := firstToken(t, svc)

	code, m := zendeskCall(t, svc, tok, "GET", "/api/v2/channels/voice/ivr", "")
	require.Equal(t, 200, code, m)
	var routes string
	for _, iv := range m["ivrs"].([]any) {
		if ivm := iv.(map[string]any); ivm["name"] == "Zendesk line" {
			menu := ivm["menus"].([]any)[0].(map[string]any)
			routes = fmt.Sprintf("/api/v2/channels/voice/ivr/%d/menus/%d/routes", int64(ivm["id"].(float64)), int64(menu["id"].(float64)))
		}
	}
	require.NotEmpty(t, routes, "the line is a Zendesk IVR: %v", m)

	// The seed's example body, as it gives it.
	code, m = zendeskCall(t, svc, tok, "POST", routes+".json",
		`{  "ivr_route": {    "action": "group",    "keypress": "1",    "options": {      "group_ids": [        10001      ]    }  }}`)
	require.Equal(t, 201, code, m)
	require.Equal(t, "Support Group", m["ivr_route"].(map[string]any)["option_text"])
	waitConfig(t, svc, func(s *Node) bool { return len(s.snap.Load().Config.IVRByID("zd").Keys) == 2 })

	c, call := seedCall(t, svc, "7000", 700)
	var seq uint16
	sendEvent(t, c, call.Media, 101, '1', &seq, 1000)
	waitInvite(t, far, "the Support Group's agent")
	waitTone(t, c, "the caller hears the agent once the group answers")
	hangUp(t, call)
}

// yeastarSeedConf is the IVR the Yeastar seed's samples work on: number
// 6500, its name 6500, a 3 s response timeout (the seed's query answer),
// its prompt the choices, 1 hanging up.
const yeastarSeedConf = seedServer + `
prompts_dir: "PROMPTS"
ivrs:
  - id: y6500
    name: "6500"
    extensions: ["6500"]
    prompt: choices
    response_timeout: 3s
    keys:
      "1": hangup
`

// yeastarCall posts one request to a Yeastar route with ?token=, as the
// seed's request addresses do.
func yeastarCall(t *testing.T, svc *Node, token, route, body string) map[string]any {
	t.Helper()
	// No Authorization header: the token is in the address only.
	code, data, _ := apiCall(t, svc, "", "POST", route+"?token="+token, "application/json", []byte(body), "Authorization", "")
	require.Equal(t, 200, code, string(data))
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), string(data))
	return m
}

// The Yeastar seed end to end (seeds/003_95c7d29ffb80423f.txt): its
// query sample finds IVR 6500, its "Configure an Individual IVR" sample
// renumbers it to 6501, and then a call to 6501 reaches the IVR (its
// menu plays, 1 hangs up) while 6500 no longer answers.
func TestSeedReplayYeastarRenumbersIVR(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, yeastarSeedConf)
	writeTone(t, filepath.Join(filepath.Dir(path), "choices.wav"), 700, 600*time.Millisecond)
	svc := startConfig(t, path)
	tok := firstToken(t, svc)

	// "Query One or More IVRs", request sample (the seed writes its
	// quotes HTML-escaped).
	m := yeastarCall(t, svc, tok, "/api/v1.0.0/ivr/query", html.UnescapeString(`{&quot;ivrid&quot;: &quot;6500&quot;}`))
	require.Equal(t, "Success", m["status"], m)
	require.Equal(t, "6500", m["ivr"].([]any)[0].(map[string]any)["ivrnumber"], m)

	// "Configure an Individual IVR", request sample.
	m = yeastarCall(t, svc, tok, "/api/v1.0.0/ivr/update",
		html.UnescapeString(`{&quot;ivrid&quot;: &quot;6500&quot;,&quot;ivrnumber&quot;:&quot;6501&quot;}`))
	require.Equal(t, map[string]any{"status": "Success"}, m)
	waitConfig(t, svc, func(s *Node) bool {
		return strings.Join(s.snap.Load().Config.IVRByID("y6500").Extensions, ",") == "6501"
	})

	c, call := seedCall(t, svc, "6501", 700)
	var seq uint16
	sendEvent(t, c, call.Media, 101, '1', &seq, 1000)
	_, err := c.WaitRequest(sip.BYE, nodetest.Patience)
	require.NoError(t, err, "1 hangs up")

	old := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), nodetest.Patience)
	defer cancel()
	_, err = old.Call(ctx, svc.sip.Addr("udp"), "6500")
	require.ErrorContains(t, err, "404 Not Found", "6500 is no IVR's number any more")
}

// connexcsSeedConf is the ConnexCS seed's IVR (seeds/000_7aea0e4494de01a8.txt,
// "Edit Existing Interactive Voice Response"; seeds/001_c12111975a7cdb1d.txt,
// "Interactive Voice Response Planning": "Press 1 to speak with a sales
// assistant. Press 2 to speak with a technical support assistant.").
// ConnexCS has no API in its seed: the IVR is written as ivrd reads it.
// Key 1 is a URI destination in the seed's own example, written as the
// seed says (without the initial sip:); key 2 is an Internal one, the
// number of another IVR (the support line, 600).
const connexcsSeedConf = seedServer + `
prompts_dir: "PROMPTS"
ivrs:
  - id: connexcs
    extensions: ["500"]
    greeting: welcome
    prompt: choices
    transfer: refer
    keys:
      "1": { uri: "1-999-123-4567@voip-provider.example.net" }
      "2": { internal: "600" }
  - id: support
    extensions: ["600"]
    prompt: support
    keys:
      "#": hangup
`

// The ConnexCS seed end to end: a call to the IVR's extension hears the
// greeting that explains the keys; 2 (Internal 600) takes the caller to
// the IVR that owns 600, whose own prompt plays; on a second call 1 (URI)
// transfers the caller to the seed's SIP address.
func TestSeedReplayConnexCSKeys(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, connexcsSeedConf)
	dir := filepath.Dir(path)
	writeTone(t, filepath.Join(dir, "welcome.wav"), 440, 400*time.Millisecond)
	writeTone(t, filepath.Join(dir, "choices.wav"), 700, 600*time.Millisecond)
	writeTone(t, filepath.Join(dir, "support.wav"), 300, 600*time.Millisecond)
	svc := startConfig(t, path)

	c, call := seedCall(t, svc, "500", 440, 700)
	var seq uint16
	sendEvent(t, c, call.Media, 101, '2', &seq, 1000)
	waitHeard(t, c, 440, 700, 300)
	hangUp(t, call)

	c2, call2 := seedCall(t, svc, "500", 440, 700)
	sendEvent(t, c2, call2.Media, 101, '1', &seq, 1000)
	ref, err := c2.WaitRequest(sip.REFER, nodetest.Patience)
	require.NoError(t, err, "1 transfers")
	require.Equal(t, "<sip:1-999-123-4567@voip-provider.example.net>", ref.GetHeader("Refer-To").Value())
	completeRefer(t, c2, call2)
	rec := endedRecord(t, svc, call2.Dialog.InviteRequest.CallID().Value())
	require.Contains(t, transferDests(rec), "1-999-123-4567@voip-provider.example.net refer", "the record names the transfer")
}

// hangUp ends a call from the caller's side (BYE, answered).
func hangUp(t *testing.T, call *siptest.Answered) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), nodetest.Patience)
	defer cancel()
	require.NoError(t, call.Dialog.Bye(ctx))
}

// The Wazo seed's INVALID CHOICE extension on a real call to the
// imported dialplan's internal number (8899): the first two wrong keys
// get the invalid-choice sound and the choices again, the third
// (counter >= 3) the error sound, then the IVR hangs up.
func TestSeedReplayWazoThirdErrorHangsUp(t *testing.T) {
	t.Parallel()
	svc := startWazoImport(t, wazoMinimalDialplan)
	c, call := seedCall(t, svc, "8899", 440, 700)
	var seq uint16
	sendEvent(t, c, call.Media, 101, '7', &seq, 1000)
	waitHeard(t, c, 440, 700, 300, 700)
	sendEvent(t, c, call.Media, 101, '8', &seq, 9000)
	waitHeard(t, c, 440, 700, 300, 700, 300, 700)
	sendEvent(t, c, call.Media, 101, '9', &seq, 17000)
	_, err := c.WaitRequest(sip.BYE, nodetest.Patience)
	require.NoError(t, err, "the third error hangs up")
	require.Equal(t, []float64{440, 700, 300, 700, 300, 700, 1000}, heard(c.Packets()), "the error sound (1 kHz) before the hang-up")
	rec := endedRecord(t, svc, call.Dialog.InviteRequest.CallID().Value())
	require.Equal(t, 3, rec.Invalid, "three wrong keys counted")
	require.Equal(t, "ivrd", string(rec.EndedBy), "the IVR hung up")
}

// The Wazo seed's IVR with submenu on a real call: 3 leads to the
// submenu, whose choices play; its 3 goes back to the main menu's
// choices, without the welcome (Goto(dp-ivr-example,s,beginning) skips
// the Playback at the label "first").
func TestSeedReplayWazoSubmenu(t *testing.T) {
	t.Parallel()
	svc := startWazoImport(t, wazoSubmenuDialplan)
	c, call := seedCall(t, svc, "8899", 440, 700)
	var seq uint16
	sendEvent(t, c, call.Media, 101, '3', &seq, 1000)
	waitHeard(t, c, 440, 700, 1000)
	sendEvent(t, c, call.Media, 101, '3', &seq, 9000)
	waitHeard(t, c, 440, 700, 1000, 700)
	hangUp(t, call)
}
