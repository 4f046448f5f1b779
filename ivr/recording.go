package ivr

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Recording formats.
const (
	RecordStereo = "stereo" // the caller left, ivrd or the bridged party right
	RecordMono   = "mono"   // both directions mixed
)

// Record (ivrd addition) asks for a call to be recorded: on an IVR (from
// the answer) or on a destination (from the hand-off, a bridge for one).
// It is written `record: true` or as a mapping:
//
//	record: {announce: recorded-notice, format: mono}
type Record struct {
	// On is true when the field says record (true or a mapping).
	On bool `yaml:"-"`
	// Announce is a prompt the caller hears first ("this call is
	// recorded"); "" none.
	Announce string `yaml:"announce"`
	// Format is stereo (default) or mono.
	Format string `yaml:"format"`
}

// UnmarshalYAML reads true/false or a mapping of announce and format.
func (r *Record) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var on bool
		if err := n.Decode(&on); err != nil {
			return typeErr("line %d: record: want true, false or a mapping of announce and format", n.Line)
		}
		*r = Record{On: on}
		return nil
	}
	type plain Record
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = Record(p)
	r.On = true
	r.Announce, r.Format = strings.TrimSpace(r.Announce), strings.TrimSpace(r.Format)
	return nil
}

// MarshalYAML writes true for a plain record, else the mapping.
func (r Record) MarshalYAML() (any, error) {
	if !r.On {
		return false, nil
	}
	if r.Announce == "" && r.Format == "" {
		return true, nil
	}
	type plain Record
	return plain(r), nil
}

// Enabled reports whether r asks for a recording (nil does not).
func (r *Record) Enabled() bool { return r != nil && r.On }

// Mono reports whether the directions are mixed.
func (r *Record) Mono() bool { return r != nil && r.Format == RecordMono }

// record checks a record setting.
func (v *validator) record(path string, r *Record) {
	if !r.Enabled() {
		return
	}
	v.prompt(path+".announce", r.Announce)
	if r.Format != "" && r.Format != RecordStereo && r.Format != RecordMono {
		v.errf(path+".format", "unknown format %q (want stereo or mono)", r.Format)
	}
}
