package call

import (
	"context"
	"strings"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
)

// Decider answers a call's ask steps: it POSTs the request and returns
// the answer decoded and validated against cfg (package decide's Client
// is one). It may take up to the ask's timeout; the call's context ends
// it early when the caller hangs up.
type Decider interface {
	Decide(ctx context.Context, cfg *ivr.Config, a ivr.Ask, prompts ivr.PromptSet) ivr.AskResult
}

// Speak renders an ask answer's say text in a language for the call.
type Speak func(language, text string) (*prompts.Prompt, error)

// ask sends the request on its own goroutine: the menu goes on hearing
// keys and the hold prompt's ends, and the executor's own timer ends the
// wait if the answer is late. The outcome comes back as an event.
func (r *run) ask(a ivr.Ask) {
	a.Request.CallID, a.Request.Node, a.Request.Path = r.rec.CallID, r.h.opt.Node, append([]string(nil), r.rec.Path...)
	var keys strings.Builder
	for _, k := range r.rec.Keys {
		keys.WriteByte(k.Key)
	}
	a.Request.Keys = keys.String()
	var dec Decider
	if r.h.opt.Decider != nil {
		dec = r.h.opt.Decider(r.snap.Config)
	}
	if dec == nil {
		r.log.Warn("ask: no decision client: fallback", "url", a.URL)
		r.queued = append(r.queued, ivr.AskResult{ID: a.ID, Err: errNoDecider})
		return
	}
	r.log.Info("ask", "url", a.URL, "timeout", a.Timeout)
	cfg, names := r.snap.Config, r.snap.answerPrompts()
	go func() {
		res := dec.Decide(r.ctx, cfg, a, names)
		if res.Err != nil && r.ctx.Err() == nil {
			r.log.Warn("ask: no usable answer: fallback", "url", a.URL, "reason", res.Err.Error())
		}
		r.post(res)
	}()
}

// answerPrompts are the prompts an answer may name (nil: not checked),
// worked out once per snapshot: every ask and stream of its calls
// shares them.
func (s *Snapshot) answerPrompts() ivr.PromptSet {
	if s.Prompts == nil {
		return nil
	}
	s.answerOnce.Do(func() { s.answerSet = s.Config.AnswerPrompts(s.Prompts.AllNames()) })
	return s.answerSet
}

// sayText speaks an answer's text; without a speaker (or when it fails) the
// call goes on without it.
func (r *run) sayText(a ivr.Play) {
	var p *prompts.Prompt
	err := errNoSpeaker
	if r.h.opt.Say != nil {
		p, err = r.h.opt.Say(a.Language, a.Text)
	}
	if err != nil {
		r.log.Warn("say skipped", "err", err)
		r.queued = append(r.queued, ivr.PlaybackDone{ID: a.ID})
		return
	}
	id := a.ID
	r.playID, r.playing = id, true
	r.c.Media.Play(p, func() { r.post(ivr.PlaybackDone{ID: id}) })
	r.log.Info("say", "chars", len(a.Text))
}
