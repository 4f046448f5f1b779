package store

import (
	"testing"

	"github.com/ivrd/ivrd/prompts"
)

// FuzzResourceBody: any body CheckBody accepts for any kind composes into
// a configuration ivr.Parse reads (the store never holds what the file
// parser would refuse), and nothing panics on the way.
func FuzzResourceBody(f *testing.F) {
	for _, s := range []string{
		`{"id":"m","prompt":"welcome","keys":{"1":{"uri":"sip:a@b"},"#":"hangup","2":{"play":"x","then":{"ivr":"m"}}}}`,
		`{"id":"s","timezone":"UTC","open":["mon-fri 09:00-17:00"],"closed":{"prompt":"closed","then":"hangup"}}`,
		`{"name":"t","uri":"sip:gw","strip":2,"inbound_from":["10.0.0.0/8"]}`,
		`{"number":"1001","password":"x"}`,
		`{"id":"m","response_timeout":"5s","dial_out":{"trunk":"t","allow":["1\\d+"]}}`,
	} {
		f.Add(s)
	}
	base := Base{Prompts: prompts.Builtin().Names()}
	f.Fuzz(func(t *testing.T, data string) {
		body, err := DecodeBody([]byte(data))
		if err != nil {
			return
		}
		for _, k := range Kinds {
			b, err := DecodeBody([]byte(data)) // CheckBody may not modify, but be safe
			if err != nil {
				t.Fatal(err)
			}
			id, err := CheckBody(k, b)
			if err != nil {
				continue
			}
			st := state{}
			for _, kk := range Kinds {
				st[kk] = map[string]map[string]any{}
			}
			st[k][id] = b
			if _, _, err := compose(base, st); err != nil {
				t.Fatalf("%s body accepted by CheckBody but not by the parser: %v\n%s", k, err, data)
			}
		}
		_ = body
	})
}
