package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/sip"
)

// promptCallKeep is how long a finished recording by phone can still be
// read (GET .../record-by-phone/{id}); promptCallMax bounds those kept.
const (
	promptCallKeep = time.Hour
	promptCallMax  = 200
)

// promptCalls records prompts by phone (POST
// /api/v1/prompts/{name}/record-by-phone): the call is placed like POST
// /api/v1/calls places one, the call owner runs the dialogue, and a kept
// recording is stored as an uploaded prompt is. Each one's state is kept
// here, in memory on the node that placed the call, for the UI to follow.
type promptCalls struct {
	p *placer

	mu   sync.Mutex
	jobs map[string]*api.PromptCall // by id
}

func newPromptCalls(p *placer) *promptCalls {
	return &promptCalls{p: p, jobs: map[string]*api.PromptCall{}}
}

// RecordPrompt implements api.PromptRecorder.
func (pc *promptCalls) RecordPrompt(_ context.Context, req api.PromptCallRequest) (api.PromptCall, error) {
	n := pc.p.n
	out, err := call.PlaceTarget(n.snap.Load().Config, n.sip, req.To, req.Trunk)
	if err != nil {
		return api.PromptCall{}, fmt.Errorf("%w: %w", api.ErrBadPlace, err)
	}
	id, err := newPlacedID()
	if err != nil {
		return api.PromptCall{}, err
	}
	now := time.Now().UTC()
	job := api.PromptCall{ID: id[len("ivrd-"):], Prompt: req.Name, To: req.To, Trunk: req.Trunk, State: api.PromptCallRinging,
		CallID: id, Who: req.Who, StartedAt: now, UpdatedAt: now}
	if err := pc.add(job); err != nil {
		return api.PromptCall{}, err
	}
	from := out.FromUser
	if from == "" {
		from = "ivrd"
	}
	place := sip.Place{Outbound: out, Party: req.To, Dialled: req.To, Trunk: req.Trunk, CallID: id}
	rec := cdr.Record{CallID: id, Node: n.ctl.node, State: cdr.StateStarted, Direction: cdr.DirectionOutbound, From: from,
		To: req.To, Source: cdr.SourceUnknown, SourceName: req.Trunk, InviteAt: time.Now()}
	if req.Trunk != "" {
		rec.Source = cdr.SourceTrunk
	}
	n.ctl.rec.enqueue(startWrite(rec))
	n.log.Info("recording a prompt by phone", "call_id", id, "prompt", req.Name, "to", req.To, "trunk", req.Trunk, "who", req.Who)
	pc.p.ringing.Add(1)
	go pc.run(place, req, job, rec)
	return job, nil
}

// add registers a new job unless its prompt is being recorded already;
// finished jobs past promptCallKeep (or past promptCallMax) are dropped.
func (pc *promptCalls) add(job api.PromptCall) error {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	var oldest *api.PromptCall
	for id, j := range pc.jobs {
		if !j.State.Final() {
			if j.Prompt == job.Prompt {
				return api.ErrPromptCallBusy
			}
			continue
		}
		if time.Since(j.UpdatedAt) > promptCallKeep {
			delete(pc.jobs, id)
		} else if oldest == nil || j.UpdatedAt.Before(oldest.UpdatedAt) {
			oldest = j
		}
	}
	if len(pc.jobs) >= promptCallMax && oldest != nil {
		delete(pc.jobs, oldest.ID)
	}
	if len(pc.jobs) >= promptCallMax {
		return fmt.Errorf("%d recordings by phone under way: try again when one is done", len(pc.jobs))
	}
	pc.jobs[job.ID] = &job
	return nil
}

// PromptCall implements api.PromptRecorder.
func (pc *promptCalls) PromptCall(id string) (api.PromptCall, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	j, ok := pc.jobs[id]
	if !ok {
		return api.PromptCall{}, false
	}
	return *j, true
}

// set moves a job on; a final state is never left.
func (pc *promptCalls) set(id string, state api.PromptCallState, reason string) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	j, ok := pc.jobs[id]
	if !ok || j.State.Final() {
		return
	}
	j.State, j.Reason, j.UpdatedAt = state, reason, time.Now().UTC()
}

// run rings the phone and, answered, has the call owner run the
// dialogue; not answered, the job fails saying why and the call's record
// ends as a placed call's does.
func (pc *promptCalls) run(place sip.Place, req api.PromptCallRequest, job api.PromptCall, rec cdr.Record) {
	p := pc.p
	n := p.n
	c, err := n.sip.PlaceCall(p.ctx, place)
	p.ringing.Done()
	if err != nil {
		reason := "the call failed: " + err.Error()
		var be *sip.BridgeError
		switch {
		case p.ctx.Err() != nil:
			reason = "the server stopped while the phone rang"
		case errors.As(err, &be) && (be.Code == 486 || be.Code == 600):
			reason = fmt.Sprintf("the phone is busy (%d %s)", be.Code, be.Reason)
		case errors.As(err, &be) && (be.Code == 408 || be.Code == 480 || be.Code == 487):
			reason = fmt.Sprintf("no answer (%d %s)", be.Code, be.Reason)
		case errors.As(err, &be):
			reason = fmt.Sprintf("the call was refused (%d %s)", be.Code, be.Reason)
		}
		pc.set(job.ID, api.PromptCallFailed, reason)
		p.notAnswered(err, api.PlaceRequest{To: req.To}, rec)
		return
	}
	n.calls.ServePromptCall(c.Context(), c, call.PromptCall{Name: req.Name, Language: req.Language, From: rec.From,
		Progress: func(step call.PromptStep, reason string) { pc.set(job.ID, promptCallState(step), reason) },
		Save: func(pcm []int16) error {
			ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
			defer cancel()
			info, err := n.ctl.st.PutPrompt(ctx, req.Who, req.Name, pcm, 0)
			if err == nil {
				n.log.Info("prompt recorded by phone stored", "prompt", req.Name, "version", info.Version, "samples", info.Samples, "who", req.Who)
			}
			return err
		}})
}

// promptCallState is the API's name of a step of the dialogue.
func promptCallState(step call.PromptStep) api.PromptCallState {
	switch step {
	case call.PromptAnswered:
		return api.PromptCallAnswered
	case call.PromptRecording:
		return api.PromptCallRecording
	case call.PromptReviewing:
		return api.PromptCallReviewing
	case call.PromptSaved:
		return api.PromptCallSaved
	case call.PromptCancelled:
		return api.PromptCallCancelled
	case call.PromptFailed:
	}
	return api.PromptCallFailed
}
