package ivr

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// fuzzPrompts are the prompt names the fuzzed configurations may use.
var fuzzPrompts = append([]string{"menu", "submenu", "subsubmenu", "hours"}, bundled...)

// exampleFiles are the shipped examples, the seeds of both targets.
func exampleFiles(f *testing.F) [][]byte {
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	sort.Strings(files)
	var out [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzLoadAndValidate: any bytes through Decode, Parse and Validate
// never panic or hang; Parse and Decode agree; every problem names
// where it is; and a configuration validate accepts has calls that end,
// whatever the caller does.
func FuzzLoadAndValidate(f *testing.F) {
	for _, b := range exampleFiles(f) {
		f.Add(b)
	}
	for _, s := range []string{validBase, testConfig, closedLoop, failureLoop, dialOutConfig, queueConfig, "", "---\n", "ivrs: [~]\n",
		"ivrs:\n  - id: main\n    promt: x\n    keys: { \"1\": { url: x } }\n", "a: &x [*x, *x]\nb: *x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, probs := Decode(data)
		parsed, err := Parse(data)
		if (err == nil) != (len(probs) == 0) || (err == nil) != (parsed != nil) {
			t.Fatalf("Parse and Decode disagree: %v / %v", err, probs)
		}
		if c == nil {
			if len(probs) == 0 {
				t.Fatal("nothing read and no problem said why")
			}
			return
		}
		checked := Validate(c, fuzzPrompts)
		c.Validate()
		for _, p := range append(probs, checked...) {
			if p.Path == "" || p.Msg == "" {
				t.Fatalf("problem without path or message: %#v", p)
			}
		}
		if len(probs) > 0 || HasErrors(checked) {
			return
		}
		for _, m := range c.IVRs {
			for _, to := range m.Extensions {
				for _, script := range []string{"", "1", "9,wait:20s,*", "0#,wait:1s,2,wait:1s,8"} {
					_, err := Simulate(c, SimOptions{To: to, Script: script, At: openTime,
						Duration: func(string) (time.Duration, bool) { return time.Second, true }})
					if err != nil && !strings.HasPrefix(err.Error(), "no ivr has extension") {
						t.Fatalf("a valid configuration's call to %q with %q: %v", to, script, err)
					}
				}
			}
		}
	})
}

// submenuConfig is a menu with a submenu, back, a failure path and a
// missing greeting (once the ivr runner's tests' configuration).
const submenuConfig = `
ivrs:
  - id: main
    extensions: ["100"]
    greeting: welcome
    prompt: menu
    invalid_prompt: invalid
    prompt_repeat: 1
    response_timeout: 30ms
    on_failure: { prompt: goodbye, then: hangup }
    keys:
      "1": { uri: "sip:sales@pbx" }
      "2": { ivr: sub }
  - id: sub
    greeting: missing
    prompt: submenu
    response_timeout: 30ms
    prompt_repeat: 1
    keys:
      "8": back
`

// executorCorpus is what FuzzExecutor runs calls on: the examples, the
// executor tests' configuration, and loops validate refuses (the run-time
// bounds must end those calls too).
func executorCorpus(f *testing.F) []*Config {
	var out []*Config
	sources := exampleFiles(f)
	for _, s := range []string{testConfig, closedLoop, failureLoop, dialOutConfig, submenuConfig, maxErrorsConfig, streamConfig} {
		sources = append(sources, []byte(s))
	}
	for _, b := range sources {
		c, err := Parse(b)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// streamConfig: streams without a timeout, one going back to the menu.
const streamConfig = `
streams: { allow_private: true }
extensions: [{ number: "1001" }]
ivrs:
  - id: main
    extensions: ["100"]
    prompt: menu
    keys:
      "1": { stream: { url: "ws://127.0.0.1/bot", bidirectional: true }, then: menu, fallback: { extension: "1001" } }
      "2": { stream: { url: "wss://bot.example/x" } }
`

// maxErrorsConfig: one counter for both errors, and overflows.
const maxErrorsConfig = `
extensions: [{ number: "1001" }]
ivrs:
  - id: main
    extensions: ["100"]
    prompt: menu
    invalid_prompt: invalid
    timeout_prompt: timeout
    max_errors: 2
    on_failure: { extension: "1001", overflow: { play: goodbye, then: hangup } }
    keys:
      "1": { extension: "1001", overflow: { ivr: other } }
      "2": { ivr: other }
  - id: other
    prompt: menu
    on_failure: top
    keys: { "1": back, "2": { play: hours } }
`

// FuzzExecutor: a call on a configuration from the corpus, driven by
// events decoded from the bytes (keys, prompt ends, timers, transfer
// outcomes, the menu time limit, hang-up, stale ids), never panics, never
// acts after it is done, and, once the caller goes silent, ends within a
// bounded number of steps.
func FuzzExecutor(f *testing.F) {
	corpus := executorCorpus(f)
	f.Add([]byte{0, 0, 0, 12, 12, 1, 13})
	f.Add([]byte{5, 0, 3, 12, 2, 12, 8, 12, 14})
	f.Add([]byte{7, 0, 200, 13, 13, 13})
	f.Add([]byte{8, 0, 0, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13})
	f.Add([]byte{11, 0, 0, 12, 9, 13, 9, 13, 30, 0x1f, 15})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		c := corpus[int(data[0])%len(corpus)]
		var dialled []string
		for _, m := range c.IVRs {
			dialled = append(dialled, m.Extensions...)
		}
		if len(dialled) == 0 {
			return
		}
		m, _ := c.IVRFor(dialled[int(data[1])%len(dialled)])
		// Any hour of a week around Christmas: schedules open, closed
		// and on holiday.
		start := time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC).Add(time.Duration(data[2]) * time.Hour)
		d := &fuzzDriver{t: t, e: NewExecutor(c, m, "fuzz", start)}
		d.send(Started{})
		for _, b := range data[3:] {
			if d.done {
				break
			}
			d.send(d.decode(b))
		}
		// The caller goes silent: every prompt ends, every timer fires,
		// every hand-off fails. The call must end.
		for steps := 0; !d.done; steps++ {
			if steps > 20000 {
				t.Fatalf("call still going after %d silent steps (virtual time %v)", steps, d.now)
			}
			switch {
			case d.playing != 0:
				d.now += time.Second
				d.send(PlaybackDone{ID: d.playing})
			case d.timer != nil:
				d.now += d.timer.After
				d.send(TimerFired{ID: d.timer.ID})
			case d.deadline != nil:
				d.now += d.deadline.After
				d.send(DeadlineFired{ID: d.deadline.ID})
			case d.handoff:
				d.send(TransferResult{Err: errors.New("busy")})
			case d.stream != 0:
				d.send(StreamEnded{ID: d.stream}) // the far end closes
			default:
				t.Fatal("the executor waits for nothing: no prompt, timer or hand-off")
			}
			if d.now >= MaxMenuTime && !d.limitSent {
				d.limitSent = true
				d.send(MenuTimeUp{})
			}
		}
	})
}

// fuzzDriver plays the call's side for FuzzExecutor, checking what the
// executor asks.
type fuzzDriver struct {
	t         *testing.T
	e         *Executor
	playing   int // id of the prompt playing, 0: none
	lastPlay  int
	timer     *StartTimer
	handoff   bool
	deadline  *StartDeadline
	ask       int // the ask awaiting its answer, 0: none
	stream    int // the stream open, 0: none
	done      bool
	now       time.Duration
	limitSent bool
}

func (d *fuzzDriver) decode(b byte) Event {
	switch op := b % 16; {
	case op < 12:
		return DigitPressed{Key: "0123456789*#"[op]}
	case op == 12:
		return PlaybackDone{ID: d.playing}
	case op == 13:
		if d.timer != nil {
			return TimerFired{ID: d.timer.ID}
		}
		return TimerFired{ID: -1}
	case op == 14:
		if b&0x10 != 0 {
			return TransferResult{}
		}
		return TransferResult{Err: errors.New("declined")}
	}
	switch b >> 4 {
	case 0:
		return HungUp{}
	case 1:
		return MenuTimeUp{}
	case 2:
		return PlaybackDone{ID: d.lastPlay - 1} // stale
	case 3:
		return AskResult{ID: d.ask, Err: errors.New("refused")}
	case 4:
		return AskResult{ID: d.ask, Answer: &Answer{Dest: &Destination{Kind: KindHangup}, Say: "bye"}}
	case 5:
		if d.deadline != nil {
			return DeadlineFired{ID: d.deadline.ID}
		}
	case 6:
		return StreamEnded{ID: d.stream, Err: errors.New("closed abnormally")}
	case 7:
		return StreamEnded{ID: d.stream, Answer: &Answer{Dest: &Destination{Kind: KindMenu}}}
	}
	return TimerFired{ID: int(b)} // stale or unknown
}

func (d *fuzzDriver) send(ev Event) {
	wasDone := d.e.Done()
	acts := d.e.Handle(ev)
	if wasDone && len(acts) > 0 {
		d.t.Fatalf("actions after the call was done: %#v", acts)
	}
	switch ev := ev.(type) {
	case HungUp:
		d.done = true
	case PlaybackDone:
		if ev.ID == d.playing {
			d.playing = 0
		}
	case TimerFired:
		if d.timer != nil && ev.ID == d.timer.ID {
			d.timer = nil
		}
	case DeadlineFired:
		if d.deadline != nil && ev.ID == d.deadline.ID {
			d.deadline = nil
		}
	case StreamEnded:
		if ev.ID == d.stream {
			d.stream = 0
		}
	case TransferResult:
		if d.handoff {
			d.handoff = false
			if ev.Err == nil {
				d.done = true
			}
		}
	}
	for i, a := range acts {
		if d.done {
			d.t.Fatalf("action %#v after the call ended", a)
		}
		switch a := a.(type) {
		case Play:
			if a.ID <= d.lastPlay {
				d.t.Fatalf("play id %d after %d", a.ID, d.lastPlay)
			}
			d.playing, d.lastPlay = a.ID, a.ID
		case StopPlayback:
			d.playing = 0
		case StartTimer:
			if a.After <= 0 {
				d.t.Fatalf("timer of %v", a.After)
			}
			t := a
			d.timer = &t
		case CancelTimer:
			d.timer = nil
		case StartDeadline:
			t := a
			d.deadline = &t
		case CancelDeadline:
			d.deadline = nil
		case Ask:
			d.ask = a.ID
		case StartStream:
			d.stream = a.ID
		case StopStream:
			if a.ID != d.stream {
				d.t.Fatalf("stop of stream %d, %d is open", a.ID, d.stream)
			}
			d.stream = 0
		case Transfer, Voicemail:
			if i != len(acts)-1 {
				d.t.Fatalf("a hand-off is not the last action: %#v", acts)
			}
			d.handoff = true
		case Hangup:
			if a.Reason == "" {
				d.t.Fatal("hang-up without a reason")
			}
			d.done = true
		}
	}
	if d.done != d.e.Done() {
		d.t.Fatalf("after %#v the driver says done=%v, the executor %v", ev, d.done, d.e.Done())
	}
}
