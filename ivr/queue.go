package ivr

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// KindQueue (ivrd addition) puts the caller in a call queue: {queue: ID}.
const KindQueue Kind = "queue"

// MethodQueue is how a queue hand-off shows in traces: the call waits
// with ivrd, then is bridged to the agent who answers.
const MethodQueue TransferMethod = "queue"

// QueueStrategy is how a queue chooses the agents to ring for the caller
// at its head.
type QueueStrategy string

// The queue strategies.
const (
	// QueueRingAll rings every free agent at once; the first to answer
	// takes the call.
	QueueRingAll QueueStrategy = "ringall"
	// QueueRoundRobin rings one free agent at a time, starting, call after
	// call, one member further along the members list.
	QueueRoundRobin QueueStrategy = "roundrobin"
	// QueueLongestIdle rings the free agent idle the longest: since the end
	// of its last queue call (wrap-up included), or since it logged in or
	// the node started when it has had none.
	QueueLongestIdle QueueStrategy = "longest_idle"
)

// Queue defaults and limits.
const (
	DefaultQueueAgentTimeout = 15 * time.Second
	DefaultQueueMaxWait      = 10 * time.Minute
	MaxQueueLength           = 500
)

// Queue (ivrd addition) is a call queue: callers wait, hearing music and
// their position, and are served in order of arrival by the members
// (agents) who are logged in and free. Reached by {queue: ID}, by its
// number dialled directly, or by {internal: NUMBER}.
type Queue struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Number (optional) is the queue's internal number.
	Number string `yaml:"number"`
	// Members are the agents: extension numbers (their registered phones
	// or static contact) and sip: URIs, as a ring group's.
	Members []string `yaml:"members"`
	// Groups adds each named ring group's members to Members.
	Groups   []string      `yaml:"groups"`
	Strategy QueueStrategy `yaml:"strategy"`
	// AgentTimeout is how long an agent's phone rings before the queue
	// tries again (default 15s).
	AgentTimeout Duration `yaml:"agent_timeout"`
	// Music is the prompt looped while the caller waits ("" silence).
	Music string `yaml:"music"`
	// AnnouncePosition, when set, tells the caller its position every so
	// often ("you are caller number 2").
	AnnouncePosition Duration `yaml:"announce_position"`
	// AnnounceWait adds the caller's estimated wait to each position
	// announcement (Asterisk's announce-holdtime): the queue's recent
	// answered callers' average wait times the caller's position, said
	// as "less than a minute" or in whole minutes; nothing is said while
	// the queue has answered nobody yet on this node.
	AnnounceWait bool `yaml:"announce_wait"`
	// MaxWait is the longest a caller waits (default 10m); MaxLength the
	// most callers waiting at once (0: no limit). Past either, Overflow
	// runs (or the destination's overflow).
	MaxWait   Duration     `yaml:"max_wait"`
	MaxLength int          `yaml:"max_length"`
	Overflow  *Destination `yaml:"overflow"`
	// LeaveKey, pressed while waiting, leaves the queue for Leave (a
	// voicemail box, say).
	LeaveKey string       `yaml:"leave_key"`
	Leave    *Destination `yaml:"leave"`
	// WrapUp is how long an agent is left alone after each queue call.
	WrapUp Duration `yaml:"wrap_up"`
	// ServiceLevel is the answer time the service level metric counts
	// against (default 20s).
	ServiceLevel Duration `yaml:"service_level"`
	// AgentCode (optional, "*" and digits, e.g. "*45" as FreePBX's
	// queue toggle) is a feature code: an agent dialling it from its
	// registered phone logs in to, or out of, every queue that has this
	// code and lists it as an agent. Several queues may share a code.
	AgentCode string `yaml:"agent_code"`
}

// QueuesWithAgentCode lists the queues whose agent code is code.
func (c *Config) QueuesWithAgentCode(code string) []*Queue {
	var out []*Queue
	for i := range c.Queues {
		if code != "" && c.Queues[i].AgentCode == code {
			out = append(out, &c.Queues[i])
		}
	}
	return out
}

// validAgentCode: a star then 1-6 digits, so that it never collides
// with a dialled number, a key or an internal number.
func validAgentCode(s string) bool {
	if len(s) < 2 || len(s) > 7 || s[0] != '*' {
		return false
	}
	return isDialNumber(s[1:])
}

// DefaultServiceLevel is a queue's service level target.
const DefaultServiceLevel = 20 * time.Second

// QueueAgents is the queue's agents: its members, then its groups' members,
// each once, in that order.
func (c *Config) QueueAgents(q *Queue) []string {
	out := slices.Clone(q.Members)
	for _, id := range q.Groups {
		if g := c.GroupByID(id); g != nil {
			for _, m := range g.Members {
				if !slices.Contains(out, m) {
					out = append(out, m)
				}
			}
		}
	}
	return out
}

// QueueByID finds a queue.
func (c *Config) QueueByID(id string) *Queue {
	for i := range c.Queues {
		if c.Queues[i].ID == id {
			return &c.Queues[i]
		}
	}
	return nil
}

// QueueByNumber finds the queue dialled as number.
func (c *Config) QueueByNumber(number string) *Queue {
	for i := range c.Queues {
		if number != "" && c.Queues[i].Number == number {
			return &c.Queues[i]
		}
	}
	return nil
}

// QueueExit is how a queue ends a wait other than by an agent: the
// caller pressed the leave key, waited too long or found the queue full.
// Dest, when set, is where the call goes next (the leave or overflow
// destination); nil: the destination's own overflow, as any failed
// hand-off.
type QueueExit struct {
	Dest *Destination
	Why  string
}

func (e *QueueExit) Error() string { return "queue: " + e.Why }

// exitDest is where a failed hand-off goes when it says so itself.
func exitDest(err error) *Destination {
	var qe *QueueExit
	if errors.As(err, &qe) {
		return qe.Dest
	}
	return nil
}

func (c *Config) queueDefaults() {
	for i := range c.Queues {
		q := &c.Queues[i]
		if q.Name == "" {
			q.Name = q.ID
		}
		if q.Strategy == "" {
			q.Strategy = QueueRingAll
		}
		if q.AgentTimeout == 0 {
			q.AgentTimeout = Duration(DefaultQueueAgentTimeout)
		}
		if q.MaxWait == 0 {
			q.MaxWait = Duration(DefaultQueueMaxWait)
		}
		if q.ServiceLevel == 0 {
			q.ServiceLevel = Duration(DefaultServiceLevel)
		}
	}
}

func (v *validator) queues() {
	seen := map[string]bool{}
	for i := range v.c.Queues {
		q := &v.c.Queues[i]
		path := fmt.Sprintf("queues[%s]", nameOr(q.ID, i))
		switch {
		case q.ID == "":
			v.errf(path, "id is required")
		case seen[q.ID]:
			v.errf(path, "duplicate queue id %q", q.ID)
		case !dialledName(q.ID):
			v.errf(path, "id %q: want letters, digits, + * # . - _", q.ID)
		}
		seen[q.ID] = true
		if q.Number != "" && !isDialNumber(q.Number) {
			v.errf(path+".number", "number %q must be digits", q.Number)
		}
		if q.AgentCode != "" && !validAgentCode(q.AgentCode) {
			v.errf(path+".agent_code", "%q: want * and 1-6 digits (as *45)", q.AgentCode)
		}
		v.queueMembers(path, q)
		switch q.Strategy {
		case QueueRingAll, QueueRoundRobin, QueueLongestIdle:
		default:
			v.errf(path+".strategy", "%q: want ringall, roundrobin or longest_idle", q.Strategy)
		}
		v.queueTimes(path, q)
		v.prompt(path+".music", q.Music)
		switch {
		case q.LeaveKey == "" && q.Leave != nil:
			v.errf(path+".leave", "leave needs a leave_key")
		case q.LeaveKey != "" && (len(q.LeaveKey) != 1 || !isKey(q.LeaveKey[0])):
			v.errf(path+".leave_key", "%q: want one key, 0-9 * #", q.LeaveKey)
		case q.LeaveKey != "" && q.Leave == nil:
			v.errf(path+".leave", "leave_key %q needs a leave destination", q.LeaveKey)
		}
		v.from = "queue " + q.ID
		v.dest(path+".overflow", q.Overflow, nil)
		v.dest(path+".leave", q.Leave, nil)
	}
}

func (v *validator) queueMembers(path string, q *Queue) {
	for j, id := range q.Groups {
		if v.c.GroupByID(id) == nil {
			v.errf(fmt.Sprintf("%s.groups[%d]", path, j), "unknown group %q", id)
		}
	}
	if len(v.c.QueueAgents(q)) == 0 {
		v.errf(path+".members", "a queue needs at least one member (an extension number, a sip: URI, or a group in groups)")
	}
	dup := map[string]bool{}
	for j, m := range q.Members {
		mp := fmt.Sprintf("%s.members[%d]", path, j)
		if dup[m] {
			v.errf(mp, "%q is listed twice", m)
		}
		dup[m] = true
		if IsURIMember(m) {
			if why := sipURIProblem(m); why != "" {
				v.errf(mp, "bad SIP URI %q: %s", m, why)
			}
		} else if v.c.ExtensionByNumber(m) == nil {
			v.errf(mp, "unknown extension %q (a member is an extension number or a sip: URI)", m)
		}
	}
}

func (v *validator) queueTimes(path string, q *Queue) {
	if d := q.AgentTimeout.D(); d < time.Second || d > 300*time.Second {
		v.errf(path+".agent_timeout", "%v is out of range 1s-300s", d)
	}
	if d := q.MaxWait.D(); d < time.Second || d > 24*time.Hour {
		v.errf(path+".max_wait", "%v is out of range 1s-24h", d)
	}
	if d := q.AnnouncePosition.D(); d != 0 && (d < 5*time.Second || d > time.Hour) {
		v.errf(path+".announce_position", "%v is out of range 5s-1h (or 0: never)", d)
	}
	if q.AnnounceWait && q.AnnouncePosition == 0 {
		v.errf(path+".announce_wait", "announce_wait needs announce_position: the wait is said with the position")
	}
	if d := q.WrapUp.D(); d < 0 || d > time.Hour {
		v.errf(path+".wrap_up", "%v is out of range 0-1h", d)
	}
	if d := q.ServiceLevel.D(); d < time.Second || d > time.Hour {
		v.errf(path+".service_level", "%v is out of range 1s-1h", d)
	}
	if q.MaxLength < 0 || q.MaxLength > MaxQueueLength {
		v.errf(path+".max_length", "%d is out of range 0-%d (0: no limit)", q.MaxLength, MaxQueueLength)
	}
}

// queueDest: a queue is waited in, never transferred or rung directly.
func (v *validator) queueDest(path string, d *Destination) {
	if v.c.QueueByID(d.Target) == nil {
		v.errf(path, "unknown queue %q", d.Target)
	}
	if d.Transfer != "" {
		v.errf(path+".transfer", "transfer does not apply to a queue: its agents are bridged")
	}
	if d.RingTimeout != 0 {
		v.errf(path+".ring_timeout", "ring_timeout does not apply to a queue: set the queue's agent_timeout")
	}
}
