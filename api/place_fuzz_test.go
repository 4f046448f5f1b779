package api

import (
	"testing"

	"github.com/ivrd/ivrd/ivr"
)

// FuzzPlaceBody: any body is a request with a target and exactly one of
// ivr and on_answer, hooks that are webhooks and bounded variables, or an
// error; never a panic.
func FuzzPlaceBody(f *testing.F) {
	for _, s := range []string{
		`{"to":"sip:a@b","ivr":"main"}`,
		`{"to":"15551234567","trunk":"pstn","caller_id":"+1555","on_answer":{"play":"x","then":"hangup","record":true},"ring_timeout":"20s"}`,
		`{"to":"1001","ivr":"main","on_busy":{"webhook":"crm","event":"e"},"on_no_answer":{"webhook":"crm"},"variables":{"a":"b"}}`,
		`{"to":"x","on_answer":"hangup"}`, `{"to":"x","on_answer":{"gather":{"max":4},"then":"menu"}}`,
		`{}`, `[`, `{"to":1}`, `{"to":"x","ivr":"m","on_answer":[1,2]}`, `{"to":"x","ivr":"m","ring_timeout":"-1s"}`,
		`{"to":"x","on_answer":{"uri":"a@b","record":{"format":"mono","announce":"p"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parsePlace(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error that says nothing")
			}
			return
		}
		if req.To == "" || (req.IVR == "") == (req.OnAnswer == nil) {
			t.Fatalf("accepted without a target or with not exactly one of ivr, on_answer: %q", body)
		}
		for _, h := range []*ivr.Destination{req.OnBusy, req.OnNoAnswer} {
			if h != nil && h.Kind != ivr.KindWebhook {
				t.Fatalf("a hook that is not a webhook: %q", body)
			}
		}
		if len(req.Variables) > ivr.MaxVars || req.RingTimeout < 0 || req.RingTimeout > maxRingTimeout {
			t.Fatalf("limits not held: %q", body)
		}
	})
}
