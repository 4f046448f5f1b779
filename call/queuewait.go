package call

import (
	"strconv"
	"time"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
)

// The estimated wait (a queue's announce_wait, Asterisk's
// announce-holdtime). Each answered caller's wait, from joining to an
// agent's answer, goes into the queue's rolling average as Asterisk
// keeps it: the first sets it, each later one counts for a quarter
// (avg = (3 avg + wait) / 4), so that the estimate follows how the queue
// is doing now rather than since the node started. A caller at position
// p is told avg × p. The average is this node's, since it started: a
// queue that has answered nobody yet says nothing about the wait.

// Prompts of the wait sentence: "Your estimated wait time is" then "less
// than one minute." or a number and "minute."/"minutes.". Bundled
// (prompts/builtin), and a site's own in prompts_dir take their place.
const (
	queueWaitIntro        = "queue-wait"
	queueWaitLessThanMin  = "queue-less-than-a-minute"
	queueWaitMinute       = "queue-minute"
	queueWaitMinutes      = "queue-minutes"
	queueWaitHistoryShare = 4 // a new wait counts for 1/queueWaitHistoryShare of the average
)

// noteWait adds an answered caller's wait to st's rolling average.
func (st *queueState) noteWait(waited time.Duration) {
	if !st.waitKnown {
		st.waitAvg, st.waitKnown = waited, true
		return
	}
	st.waitAvg = ((queueWaitHistoryShare-1)*st.waitAvg + waited) / queueWaitHistoryShare
}

// estimate is w's estimated wait from its queue's average and its
// position now; ok is false while the queue has no history (or w is
// gone).
func (qs *Queues) estimate(w *waiter) (est time.Duration, pos int, ok bool) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	st := qs.queues[w.queue]
	if st == nil {
		return 0, 0, false
	}
	for i, x := range st.waiting {
		if x == w {
			pos = i + 1
		}
	}
	if pos == 0 || !st.waitKnown {
		return 0, pos, false
	}
	return st.waitAvg * time.Duration(pos), pos, true
}

// waitMinutes is how an estimate is said: 0 for less than a minute,
// else the whole minutes it rounds to (90 s is 2 minutes, 89 s one).
func waitMinutes(est time.Duration) int {
	if est < time.Minute {
		return 0
	}
	return int(est.Round(time.Minute) / time.Minute)
}

// waitPrompts is the wait sentence for est, or nil when a prompt of it
// is missing everywhere (nothing half said).
func (r *run) waitPrompts(est time.Duration) ([]*prompts.Prompt, string) {
	minutes := waitMinutes(est)
	var seq []*prompts.Prompt
	add := func(name string) bool {
		p, ok := r.prompt(name)
		if !ok {
			p, ok = r.systemPrompt(name)
		}
		seq = append(seq, p)
		return ok
	}
	if !add(queueWaitIntro) {
		return nil, ""
	}
	if minutes == 0 {
		if !add(queueWaitLessThanMin) {
			return nil, ""
		}
		return seq, "less than a minute"
	}
	nums, ok := r.sayNumber(minutes)
	if !ok {
		if nums, ok = r.builtinNumber(minutes); !ok {
			return nil, ""
		}
	}
	seq = append(seq, nums...)
	unit, said := queueWaitMinutes, "minutes"
	if minutes == 1 {
		unit, said = queueWaitMinute, "minute"
	}
	if !add(unit) {
		return nil, ""
	}
	return seq, strconv.Itoa(minutes) + " " + said
}

// sayWait follows a position announcement with the caller's estimated
// wait, when the queue says so and has answered callers to estimate
// from. A key stops it and is returned.
func (r *run) sayWait(q *ivr.Queue, w *waiter) (byte, error) {
	if !q.AnnounceWait {
		return 0, nil
	}
	est, pos, ok := r.h.queues.estimate(w)
	if !ok {
		r.log.Info("queue wait not announced: no answered caller to estimate from yet", "queue", q.ID)
		return 0, nil
	}
	seq, said := r.waitPrompts(est)
	if seq == nil {
		r.log.Warn("queue wait not announced: its prompts are missing", "queue", q.ID)
		return 0, nil
	}
	r.log.Info("queue wait announced", "queue", q.ID, "position", pos, "estimate", est.Round(time.Second).String(), "said", said)
	for _, p := range seq {
		if k, err := r.sayPrompt(p); k != 0 || err != nil {
			return k, err
		}
	}
	return 0, nil
}
