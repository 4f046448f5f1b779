package ivr

import (
	"reflect"
	"strings"
)

// restartSettings are the settings the running server was started with
// and cannot change under its calls: its sockets (SIP listeners, the
// RTP port range, the API listener), what it negotiates (codecs, DTMF
// methods, in-band detection), what it says of itself (external address,
// User-Agent), how long it rings before answering, and the store it
// opened. Everything else (menus, prompts, trunks, extensions, schedules,
// admission of sources, voicemail_dir) is read per call and reloads.
var restartSettings = []struct {
	name string
	get  func(*Config) any
}{
	{"server.sip.listen", func(c *Config) any { return c.Server.SIP.Listen }},
	{"server.sip.external_address", func(c *Config) any { return c.Server.SIP.ExternalAddress }},
	{"server.sip.user_agent", func(c *Config) any { return c.Server.SIP.UserAgent }},
	{"server.sip.ring_time", func(c *Config) any { return c.Server.SIP.RingTime }},
	{"server.sip.tls", func(c *Config) any { return c.Server.SIP.TLS }},
	{"server.media.rtp_ports", func(c *Config) any { return strings.ReplaceAll(c.Server.Media.RTPPorts, " ", "") }},
	{"server.media.codecs", func(c *Config) any { return upper(c.Server.Media.Codecs) }},
	{"server.media.dtmf", func(c *Config) any { return lower(c.Server.Media.DTMF) }},
	{"server.media.inband", func(c *Config) any { return c.Server.Media.Inband }},
	{"server.media.realtime_priority", func(c *Config) any { return c.Server.Media.PacerPriority() }},
	{"server.media.overload_guard", func(c *Config) any { return c.Server.Media.Guarded() }},
	{"server.api.listen", func(c *Config) any { return c.Server.API.Listen }},
	{"server.store", func(c *Config) any { return c.Server.Store }},
	{"server.node_id", func(c *Config) any { return c.Server.NodeID }},
}

// RestartNeeded names the settings that differ between the running
// configuration and a new one and only take effect on a restart, in the
// order of the file. Empty: the new configuration can be reloaded whole.
// A reload that would leave some of them behind should be refused (or
// announced) naming them, never reported as "reloaded".
func RestartNeeded(old, new *Config) []string {
	var out []string
	for _, s := range restartSettings {
		if !reflect.DeepEqual(s.get(old), s.get(new)) {
			out = append(out, s.name)
		}
	}
	return out
}

// Case does not matter in these lists ("pcmu" is PCMU); order does
// (codec preference).
func upper(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = strings.ToUpper(s)
	}
	return out
}

func lower(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = strings.ToLower(s)
	}
	return out
}
