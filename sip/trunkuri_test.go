package sip

import "testing"

// A number through a trunk keeps the trunk's transport: sips: and
// ;transport=tls trunks are called over TLS, as their configuration asks.
func TestTrunkURIKeepsTheTrunksTransport(t *testing.T) {
	for trunk, want := range map[string]string{
		"sip:gw.example.net":                    "sip:5550123@gw.example.net",
		"sip:gw.example.net:5080;transport=udp": "sip:5550123@gw.example.net:5080;transport=udp",
		"sips:gw.example.net":                   "sips:5550123@gw.example.net",
		"SIPS:gw.example.net:5061":              "sips:5550123@gw.example.net:5061",
		"sip:gw.example.net:5061;transport=tls": "sip:5550123@gw.example.net:5061;transport=tls",
		"gw.example.net":                        "sip:5550123@gw.example.net",
		"sip:trunk@gw.example.net":              "sip:5550123@gw.example.net",
	} {
		if got := TrunkURI(trunk, "5550123"); got != want {
			t.Errorf("TrunkURI(%q) = %q, want %q", trunk, got, want)
		}
	}
}
