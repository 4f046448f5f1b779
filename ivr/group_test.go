package ivr

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const groupBase = validBase + `groups:
  - { id: sales, members: ["1001", "sip:desk@pbx.example.net"], strategy: sequential, member_timeout: 10s, timeout: 30s }
`

func TestGroupValidates(t *testing.T) {
	t.Parallel()
	y := strings.Replace(groupBase, `"1": { uri: "sip:a@pbx" }`, `"1": { group: sales, overflow: { voicemail: "1001" } }`, 1)
	assert.Empty(t, problemsOf(t, y))
	c, err := Parse([]byte(y))
	require.NoError(t, err)
	g := c.GroupByID("sales")
	require.NotNil(t, g)
	assert.Equal(t, StrategySequential, g.Strategy)

	cases := []struct{ from, to, want string }{
		{`"1": { uri: "sip:a@pbx" }`, `"1": { group: nope }`, `ivrs[main].keys.1: unknown group "nope"`},
		{`"1": { uri: "sip:a@pbx" }`, `"1": { group: sales, transfer: refer }`, `ivrs[main].keys.1.transfer: transfer does not apply to a group: groups are always bridged`},
		{`"1": { uri: "sip:a@pbx" }`, `"1": { group: sales, ring_timeout: 5s }`, `ivrs[main].keys.1.ring_timeout: ring_timeout does not apply to a group: set the group's timeout and member_timeout`},
		{`members: ["1001", `, `members: ["1999", `, `groups[sales].members[0]: unknown extension "1999" (a member is an extension number or a sip: URI)`},
		{`"sip:desk@pbx.example.net"`, `"sip:"`, `groups[sales].members[1]: bad SIP URI "sip:"`},
		{`strategy: sequential`, `strategy: random`, `groups[sales].strategy: "random": want ringall, sequential or rotate`},
		{`timeout: 30s }`, `timeout: 30s, announce: nope }`, `groups[sales].announce: unknown prompt "nope"`},
		{`members: ["1001", "sip:desk@pbx.example.net"]`, `members: []`, `groups[sales].members: a group needs at least one member`},
		{`timeout: 30s }`, `timeout: 0.5s }`, `groups[sales].timeout: 500ms is out of range 1s-600s`},
	}
	for _, tc := range cases {
		y := strings.Replace(groupBase, tc.from, tc.to, 1)
		var got []string
		for _, p := range problemsOf(t, y) {
			got = append(got, p.String())
		}
		assert.True(t, hasPrefixIn(got, tc.want), "%s -> %v", tc.to, got)
	}
	// A typo in a group is reported with its path.
	_, probs := Decode([]byte(strings.Replace(groupBase, "strategy:", "stratgy:", 1)))
	require.NotEmpty(t, probs)
	assert.Contains(t, probs[0].String(), `groups[sales].stratgy: line`)
	assert.Contains(t, probs[0].String(), `(did you mean "strategy"?)`)
}

func hasPrefixIn(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// The executor bridges a group whatever the menu's transfer, and a failed
// group runs its overflow; simulate shows how the group rings.
func TestGroupSimulated(t *testing.T) {
	t.Parallel()
	y := strings.Replace(groupBase, `"1": { uri: "sip:a@pbx" }`, `"1": { group: sales, overflow: { voicemail: "1001" } }`, 1)
	y = strings.Replace(y, "    schedule: office\n", "", 1)
	c, err := Parse([]byte(y))
	require.NoError(t, err)
	tr, err := Simulate(c, SimOptions{To: "100", Script: "1", TransferFails: true})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, WriteTrace(&out, tr))
	assert.Contains(t, out.String(), `{"t_ms":0,"event":"transfer","dest":{"type":"group","target":"sales"},"method":"bridge","detail":"sequential 1001,sip:desk@pbx.example.net timeout 30s member_timeout 10s"}`+"\n")
	assert.Contains(t, out.String(), `"event":"transfer_failed"`)
	assert.Contains(t, out.String(), `"event":"transfer","dest":{"type":"voicemail","target":"1001"},"method":"voicemail"}`)
}

const boxBase = validBase + `voicemail_boxes:
  - { box: "1001", pin: "4321", greeting: menu, notify: ["1002"] }
`

func TestVoicemailBoxesValidate(t *testing.T) {
	t.Parallel()
	y := strings.Replace(boxBase, `"1": { uri: "sip:a@pbx" }`, `"1": { voicemail_check: "1001" }`, 1)
	y = strings.Replace(y, `"2": { external: "+15551234567", trunk: pstn }`, `"2": { voicemail_check: "*" }`, 1)
	assert.Empty(t, problemsOf(t, y))
	c, err := Parse([]byte(y))
	require.NoError(t, err)
	b := c.VoicemailBoxByID("1001")
	require.NotNil(t, b)
	assert.Equal(t, DefaultPINAttempts, b.MaxAttempts)
	assert.True(t, b.CheckPIN("4321"))
	assert.False(t, b.CheckPIN("1234"))
	assert.False(t, b.CheckPIN(""))
	b.PIN = HashPIN("1001", "4321")
	assert.True(t, strings.HasPrefix(b.PIN, "sha256:"))
	assert.True(t, b.CheckPIN("4321"), "a hashed PIN checks the same")
	assert.NotEqual(t, HashPIN("1002", "4321"), b.PIN, "the box salts the hash")
	assert.Equal(t, []string{"1002"}, c.MWIExtensions("1001"))
	assert.Equal(t, []string{"1002"}, c.MWIExtensions("1002"))

	cases := []struct{ from, to, want string }{
		{`"1": { uri: "sip:a@pbx" }`, `"1": { voicemail_check: "1002" }`, `ivrs[main].keys.1: unknown voicemail box "1002": voicemail_check needs a voicemail_boxes entry with a pin`},
		{`pin: "4321"`, `pin: "12"`, `voicemail_boxes[1001].pin: want 4-12 digits`},
		{`notify: ["1002"]`, `notify: ["1009"]`, `voicemail_boxes[1001].notify[0]: unknown extension "1009"`},
		{`greeting: menu`, `greeting: nope`, `voicemail_boxes[1001].greeting: unknown prompt "nope"`},
		{`greeting: menu`, `greeting: menu, max_attempts: 11`, `voicemail_boxes[1001].max_attempts: 11 is out of range 1-10`},
		{`"1": { uri: "sip:a@pbx" }`, `"1": { voicemail_check: "1001", transfer: bridge }`, `ivrs[main].keys.1.transfer: transfer only applies to uri, external and extension`},
	}
	for _, tc := range cases {
		var got []string
		for _, p := range problemsOf(t, strings.Replace(boxBase, tc.from, tc.to, 1)) {
			got = append(got, p.String())
		}
		assert.True(t, hasPrefixIn(got, tc.want), "%s -> %v", tc.to, got)
	}
}

func TestVoicemailCheckSimulated(t *testing.T) {
	t.Parallel()
	y := strings.Replace(boxBase, `"1": { uri: "sip:a@pbx" }`, `"1": { voicemail_check: "1001" }`, 1)
	y = strings.Replace(y, "    schedule: office\n", "", 1)
	c, err := Parse([]byte(y))
	require.NoError(t, err)
	tr, err := Simulate(c, SimOptions{To: "100", Script: "1"})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, WriteTrace(&out, tr))
	assert.Contains(t, out.String(), `{"t_ms":0,"event":"transfer","dest":{"type":"voicemail_check","target":"1001"},"method":"voicemail_check"}`+"\n")
}

func TestGroupsVoicemailExample(t *testing.T) {
	t.Parallel()
	c := loadExample(t, "groups-voicemail.yaml")
	got := simExample(t, c, "100", "wait:4s,1", parisWeekday)
	assert.Contains(t, got, "transfer group sales/bridge")
	got = simExample(t, c, "100", "wait:4s,*", parisWeekday)
	assert.Contains(t, got, "transfer voicemail_check */voicemail_check")
}
