package node

import (
	"context"
	"errors"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/observe"
)

// queueGauges are the queues as /metrics shows them.
func (o *observer) queueGauges() []observe.QueueGauge {
	n := o.node.Load()
	if n == nil || n.calls == nil {
		return nil
	}
	list := n.calls.Queues().List(n.snap.Load().Config)
	out := make([]observe.QueueGauge, 0, len(list))
	for _, v := range list {
		out = append(out, observe.QueueGauge{Queue: v.ID, Waiting: len(v.Waiting), LongestWaitSeconds: v.LongestWait().Seconds(),
			Abandoned: v.Abandoned, Answered: v.Answered, AnsweredInTime: v.AnsweredInTime})
	}
	return out
}

// syncQueues brings the queue agents' logins other nodes changed into
// this node's queues, once a heartbeat (a login through another node
// holds here within HeartbeatEvery).
func (c *control) syncQueues(ctx context.Context) {
	n := c.obs.node.Load()
	if n == nil || n.calls == nil {
		return
	}
	if err := n.calls.Queues().Sync(ctx, n.snap.Load().Config); err != nil && ctx.Err() == nil {
		c.log.Warn("queue agent logins not read from the store; this node's own hold", "err", err)
	}
}

// queueControl is the API's view of the call queues: the node's registry
// (call.Queues) with the running configuration's queues, found through
// the observer as the rooms are (the API is built before the calls).
type queueControl struct{ obs *observer }

func (qc queueControl) queues() (*Node, bool) {
	n := qc.obs.node.Load()
	return n, n != nil && n.calls != nil
}

func (qc queueControl) Queues() []api.Queue {
	n, ok := qc.queues()
	if !ok {
		return nil
	}
	list := n.calls.Queues().List(n.snap.Load().Config)
	out := make([]api.Queue, 0, len(list))
	for _, v := range list {
		q := api.Queue{ID: v.ID, Name: v.Name, Number: v.Number, Strategy: string(v.Strategy),
			Waiting: make([]api.QueueCaller, 0, len(v.Waiting)), Agents: make([]api.QueueAgent, 0, len(v.Agents)),
			Answered: v.Answered, AnsweredWithinLevel: v.AnsweredInTime, Abandoned: v.Abandoned,
			ServiceLevelSeconds: v.ServiceLevel.Seconds(), LongestWaitSeconds: v.LongestWait().Seconds()}
		if v.WaitKnown {
			q.AverageWaitSeconds = v.AverageWait.Seconds()
		}
		for _, c := range v.Waiting {
			q.Waiting = append(q.Waiting, api.QueueCaller{CallID: c.CallID, Caller: c.Caller, Position: c.Position, WaitSeconds: c.Wait.Seconds()})
		}
		for _, a := range v.Agents {
			q.Agents = append(q.Agents, api.QueueAgent{Number: a.Name, State: string(a.State), IdleSince: a.IdleSince.UTC()})
		}
		out = append(out, q)
	}
	return out
}

func (qc queueControl) SetLoggedIn(queue, agent string, in bool) error {
	n, ok := qc.queues()
	if !ok {
		return api.ErrUnknownQueue
	}
	err := n.calls.Queues().SetLoggedIn(n.snap.Load().Config, queue, agent, in)
	switch {
	case errors.Is(err, call.ErrUnknownQueue):
		return api.ErrUnknownQueue
	case errors.Is(err, call.ErrNotAgent):
		return api.ErrNotAgent
	}
	return err
}
