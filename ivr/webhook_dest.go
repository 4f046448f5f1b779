package ivr

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
)

// RouteWebhookEvent is the type of a webhook destination's event when it
// names none.
const RouteWebhookEvent = "route.webhook"

// StepWebhook is the trace step of a webhook destination.
const StepWebhook Step = "webhook"

// Notify (an action) asks the driver to publish a route's webhook event.
// It is fire and forget: the driver queues it and the executor goes on
// at once, so a slow or absent receiver never holds up the caller.
type Notify struct {
	Webhook string // a webhooks: entry's name or URL; "" every entry
	Event   string // the event's type
	IVR     string // the menu the key was pressed in
	Digits  string // the entry that chose the route
	Data    map[string]string
}

func (Notify) isAction() {}

// EventName is the type the destination's events are sent as.
func (d *Destination) EventName() string {
	if d.Event == "" {
		return RouteWebhookEvent
	}
	return d.Event
}

// notify publishes the event, then goes on to d.Then (default: this menu
// again, as set_language does).
func (e *Executor) notify(d *Destination) []Action {
	id := ""
	if e.cur != nil {
		id = e.cur.ID
	}
	then := d.Then
	if then == nil {
		then = &Destination{Kind: KindMenu}
	}
	acts := []Action{
		Note{Event: StepWebhook, IVR: id, Digits: e.chosen, Detail: d.EventName() + " to " + webhookLabel(d.Target)},
		Notify{Webhook: d.Target, Event: d.EventName(), IVR: id, Digits: e.chosen, Data: e.fill(d.Data)},
	}
	return append(acts, e.run(then)...)
}

// CallerField is a data value the caller's number replaces when the
// event is sent (Zendesk's textback needs the number to text). Any
// variable (vars.go) may be used in data values.
const CallerField = "${caller}"

// fill copies data (a driver keeping it cannot change the config) with
// the call's variables put in.
func (e *Executor) fill(data map[string]string) map[string]string {
	out := maps.Clone(data)
	for k, v := range out {
		out[k] = e.expand(v)
	}
	return out
}

func webhookLabel(target string) string {
	if target == "" {
		return "every webhook"
	}
	return target
}

// WebhookByName finds a webhooks: entry by its name or its URL.
func (c *Config) WebhookByName(s string) *Webhook {
	for i := range c.Webhooks {
		if w := &c.Webhooks[i]; s != "" && (w.Name == s || w.URL == s) {
			return w
		}
	}
	return nil
}

// eventName is what a custom event type may look like: receivers switch
// on it, so keep it to a plain dotted word.
var eventName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// routeEvents lists the event types webhook destinations send, so that a
// webhook's events: filter may name them.
func (c *Config) routeEvents() map[string]bool {
	out := map[string]bool{RouteWebhookEvent: true}
	c.walkDests(func(d *Destination) {
		if d.Kind == KindWebhook {
			out[d.EventName()] = true
		}
	})
	return out
}

// walkDests visits every destination of the menus and schedules.
func (c *Config) walkDests(f func(*Destination)) {
	var walk func(d *Destination)
	walk = func(d *Destination) {
		for ; d != nil; d = d.Then {
			f(d)
			walk(d.Overflow)
			walk(d.Fallback)
		}
	}
	for _, m := range c.IVRs {
		if m == nil {
			continue
		}
		walk(m.OnFailure)
		for _, d := range m.Keys {
			walk(d)
		}
	}
	for _, s := range c.Schedules {
		walk(s.Closed.Then)
	}
}

// webhookDest checks a webhook destination: the webhook it names exists
// and would take its event.
func (v *validator) webhookDest(path string, d *Destination) {
	for k, val := range d.Data {
		v.checkVars(path+".data."+k, val)
	}
	name := d.EventName()
	if !eventName.MatchString(name) {
		v.errf(path+".event", "%q: want a lower-case dotted name like zendesk.textback", d.Event)
	} else if slices.Contains(WebhookEvents, name) && name != RouteWebhookEvent {
		v.errf(path+".event", "%q is a call event: a route must not pose as one", d.Event)
	}
	if len(v.c.Webhooks) == 0 {
		why := ""
		if name == "zendesk.textback" {
			why = " (ivrd sends no SMS itself: a webhook receiver must)"
		}
		v.warnf(path, "no webhooks: are configured: the %s event goes nowhere%s", name, why)
		return
	}
	targets := v.c.Webhooks
	if d.Target != "" {
		w := v.c.WebhookByName(d.Target)
		if w == nil {
			v.errf(path+".webhook", "unknown webhook %q (name or url of a webhooks: entry)", d.Target)
			return
		}
		targets = []Webhook{*w}
	}
	for _, w := range targets {
		if !w.Wants(name) {
			label := w.URL
			if w.Name != "" {
				label = w.Name
			}
			v.warnf(path, "webhook %s's events filter drops %s: add it to its events", label, name)
		}
	}
	if len(d.Data) > 32 {
		v.errf(path+".data", "%d fields: at most 32", len(d.Data))
	}

}

// webhookNames checks the webhooks' names are unique.
func (v *validator) webhookNames() {
	seen := map[string]bool{}
	for i, w := range v.c.Webhooks {
		if w.Name == "" {
			continue
		}
		if seen[w.Name] {
			v.errf(fmt.Sprintf("webhooks[%d].name", i), "%q is used twice", w.Name)
		}
		seen[w.Name] = true
	}
}
