package ivr

import (
	"testing"
	"time"
)

// FuzzDecodeAnswer: any body a decision service sends is refused with
// an error or gives a destination validate accepts, never a panic; and
// a call that runs an accepted answer ends, whatever the caller does.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{
		`{"extension": "1002"}`,
		`{"ivr": "accounts", "vars": {"tier": "gold"}, "say": "hello ${vars.tier}"}`,
		`{"play": "welcome", "then": {"extension": "1001"}}`,
		`{"gather": {"prompt": "enter-account", "max": 4}, "then": {"ask": "http://127.0.0.1:8090/x"}, "fallback": "hangup"}`,
		`{"ask": "http://127.0.0.1:8090/lookup", "fallback": {"ivr": "accounts"}}`,
		`{"uri": "sip:${digits}@127.0.0.1"}`,
		`"hangup"`, `[]`, `{}`, `null`, `{"a": &x}`, `{"say": 5}`,
	} {
		f.Add([]byte(s))
	}
	c, err := Load("../examples/account-lookup.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := c.DecodeAnswer(body, "accounts", nil)
		if err != nil {
			if a != nil {
				t.Fatal("an answer with an error")
			}
			return
		}
		if a.Dest == nil || a.Dest.Kind == "" {
			t.Fatalf("accepted %q without a destination", body)
		}
		if len(a.Vars) > MaxVars {
			t.Fatalf("accepted %d vars", len(a.Vars))
		}
		// Run it: the answer comes to a call waiting in an ask, and the
		// call ends within bounded steps with every answer the same.
		e := NewExecutor(c, c.IVRByID("accounts"), "555", time.Unix(0, 0))
		e.Handle(Started{})
		e.phase, e.asking, e.askID = phaseAsk, &Destination{Kind: KindAsk, Target: "http://x"}, 1
		acts := e.Handle(AskResult{ID: 1, Answer: a})
		for i := 0; i < 10000 && !e.Done(); i++ {
			var next Event = HungUp{}
			for _, act := range acts {
				switch act := act.(type) {
				case Play:
					next = PlaybackDone{ID: act.ID}
				case StartTimer:
					next = TimerFired{ID: act.ID}
				case Ask:
					next = AskResult{ID: act.ID, Answer: a}
				case Transfer, Voicemail:
					next = TransferResult{}
				}
			}
			acts = e.Handle(next)
		}
		if !e.Done() {
			t.Fatalf("answer %q: the call did not end", body)
		}
	})
}
