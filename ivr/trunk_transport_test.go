package ivr

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrunkRegistrationDefaults(t *testing.T) {
	c, err := Parse([]byte(strings.Replace(validBase, `trunks: [{ name: pstn, uri: "sip:gw.example.net" }]`,
		`trunks:
  - { name: pstn, uri: "sips:gw.example.net", username: acme, password: pw, register: true }
  - { name: b, uri: "sip:b.example.net", register: false }
  - name: c
    uri: "sip:c.example.net"
    registration: { registrar: "sip:reg.example.net;transport=tcp", username: u, password: p, expires: 120s, contact_user: ivr-c }
    tls: { ca_file: /etc/ivrd/c-ca.pem }`, 1)))
	require.NoError(t, err)
	r, on := c.Trunks[0].Registration()
	require.True(t, on)
	assert.Equal(t, TrunkRegistration{Enabled: true, Registrar: "sips:gw.example.net", Username: "acme", Password: "pw",
		Expires: Duration(600 * time.Second), ContactUser: "acme"}, r)
	_, on = c.Trunks[1].Registration()
	assert.False(t, on)
	r, on = c.Trunks[2].Registration()
	require.True(t, on)
	assert.Equal(t, "sip:reg.example.net;transport=tcp", r.Registrar)
	assert.Equal(t, "ivr-c", r.ContactUser)
	assert.Equal(t, 120*time.Second, r.Expires.D())
	assert.Equal(t, "/etc/ivrd/c-ca.pem", c.Trunks[2].TLS.CAFile)
	assert.NotContains(t, r.String(), "p)", "the summary has no password")
	for _, p := range Validate(c, []string{"menu", "voicemail-1001"}) {
		assert.True(t, p.Warning, "%s", p)
	}
}

// Each bad registration or TLS setting gets one problem naming it.
func TestTrunkTransportProblems(t *testing.T) {
	const trunk = `trunks: [{ name: pstn, uri: "sip:gw.example.net" }]`
	cases := []struct {
		name, trunks, want string
	}{
		{"register not a bool", "trunks:\n  - name: pstn\n    uri: \"sip:gw.example.net\"\n    register: maybe",
			`trunks[pstn].register: line 6: register: want true, false or a block of settings (registrar, username, password, expires, contact_user, transport), not "maybe"`},
		{"unknown field", `trunks: [{ name: pstn, uri: "sip:gw.example.net", username: u, register: { expire: 60s } }]`,
			`trunks[pstn].register.expire: line 3: unknown field "expire" (did you mean "expires"?)`},
		{"no username", `trunks: [{ name: pstn, uri: "sip:gw.example.net", register: true }]`,
			`trunks[pstn].register.username: a registration needs a username (here or the trunk's)`},
		{"registrar not sip", `trunks: [{ name: pstn, uri: "sip:gw.example.net", username: u, password: p, registration: { registrar: "http://x" } }]`,
			`trunks[pstn].registration.registrar: "http://x": want a sip: or sips: URI of the registrar`},
		{"bad registrar host", `trunks: [{ name: pstn, uri: "sip:gw.example.net", username: u, password: p, register: { registrar: "sip:re g" } }]`,
			`trunks[pstn].register.registrar: bad SIP URI "sip:re g": spaces, quotes or <> are not part of a URI`},
		{"expires too short", `trunks: [{ name: pstn, uri: "sip:gw.example.net", username: u, password: p, register: { expires: 5s } }]`,
			`trunks[pstn].register.expires: 5s: want between 30s and 24h0m0s`},
		{"expires not a duration", "trunks:\n  - name: pstn\n    uri: \"sip:gw.example.net\"\n    username: u\n    register:\n      expires: 600",
			`trunks[pstn].register: line 8: bad duration "600" (want a duration like "5s" or "1500ms")`},
		{"transport", `trunks: [{ name: pstn, uri: "sip:gw.example.net", username: u, password: p, register: { transport: ws } }]`,
			`trunks[pstn].register.transport: "ws": want udp, tcp or tls`},
		{"contact user", `trunks: [{ name: pstn, uri: "sip:gw.example.net", username: u, password: p, register: { contact_user: "a@b" } }]`,
			`trunks[pstn].register.contact_user: "a@b": want letters, digits and - _ . ! ~ * ' ( ) + only`},
		{"both keys", `trunks: [{ name: pstn, uri: "sip:gw.example.net", username: u, password: p, register: true, registration: { expires: 60s } }]`,
			`trunks[pstn]: register and registration both set: use one`},
		{"same contact user", `trunks: [{ name: pstn, uri: "sip:gw.example.net", username: u, password: p, register: true }, { name: b, uri: "sip:b.example.net", username: u, password: p, register: true }]`,
			`trunks[b]: registers contact user "u" as trunk "pstn" does: calls to it could not tell the trunks apart (set contact_user)`},
		{"skip and pin", `trunks: [{ name: pstn, uri: "sips:gw.example.net", tls: { insecure_skip_verify: true, ca_file: x.pem } }]`,
			`trunks[pstn].tls: insecure_skip_verify checks nothing: ca_file and server_name would be ignored`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(validBase, trunk, tc.trunks, 1)
			c, probs := Decode([]byte(src))
			if c != nil {
				probs = append(probs, Validate(c, []string{"menu", "voicemail-1001"})...)
			}
			var got []string
			for _, p := range probs {
				if !p.Warning {
					got = append(got, p.String())
				}
			}
			assert.Equal(t, []string{tc.want}, got)
		})
	}
}

func TestSIPTLSProblems(t *testing.T) {
	for name, tc := range map[string]struct{ server, want string }{
		"tls listener without cert": {`server: { sip: { listen: ["tls://0.0.0.0:5061"] }, media: { rtp_ports: "10000-19999" } }`,
			`server.sip.tls: a tls:// or wss:// listener needs cert and key (PEM files)`},
		"wss listener without cert": {`server: { sip: { listen: ["wss://0.0.0.0:8089"] }, media: { rtp_ports: "10000-19999" } }`,
			`server.sip.tls: a tls:// or wss:// listener needs cert and key (PEM files)`},
		"cert without key": {`server: { sip: { listen: ["tls://0.0.0.0:5061"], tls: { cert: c.pem } }, media: { rtp_ports: "10000-19999" } }`,
			`server.sip.tls: a tls:// or wss:// listener needs cert and key (PEM files)`},
		"ftp": {`server: { sip: { listen: ["ftp://0.0.0.0:8080"] }, media: { rtp_ports: "10000-19999" } }`,
			`server.sip.listen[0]: "ftp://0.0.0.0:8080": want udp://HOST:PORT, tcp://, tls://, ws:// or wss://HOST:PORT`},
	} {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(validBase, `server: { media: { rtp_ports: "10000-19999" } }`, tc.server, 1)
			c, err := Parse([]byte(src))
			require.NoError(t, err)
			var got []string
			for _, p := range Validate(c, []string{"menu", "voicemail-1001"}) {
				if !p.Warning {
					got = append(got, p.String())
				}
			}
			assert.Contains(t, got, tc.want)
		})
	}
	c, err := Parse([]byte(strings.Replace(validBase, `server: { media: { rtp_ports: "10000-19999" } }`,
		`server: { sip: { listen: ["udp://0.0.0.0:5060", "tls://0.0.0.0:5061"], tls: { cert: c.pem, key: k.pem } }, media: { rtp_ports: "10000-19999" } }`, 1)))
	require.NoError(t, err)
	assert.Empty(t, Validate(c, []string{"menu", "voicemail-1001"}))
	assert.Equal(t, SIPTLS{Cert: "c.pem", Key: "k.pem"}, c.Server.SIP.TLS)
}
