package node

import (
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/webhook"
)

// webhookEvent turns a call event into what receivers get: the event's
// own fields under data; call.ended carries the whole record as the store
// keeps it.
func webhookEvent(ev call.Event, node string) webhook.Event {
	out := webhook.Event{ID: webhook.NewID(), Type: string(ev.Type), Created: ev.At.UTC(), Node: node, CallID: ev.CallID}
	data := map[string]any{"ivr": ev.IVR}
	switch ev.Type {
	case call.EventCallStarted:
		data["from"], data["to"], data["trunk"] = ev.From, ev.To, ev.Trunk
	case call.EventMenuEntered:
		data["menu"] = ev.Menu
	case call.EventDigit:
		data["menu"], data["key"], data["method"] = ev.Menu, string(ev.Key), ev.Method.String()
	case call.EventTransferStarted, call.EventTransferFinished:
		data["dest"], data["method"], data["operator"] = ev.Dest, string(ev.TransferMethod), ev.Operator
		if ev.Type == call.EventTransferFinished {
			data["result"] = "ok"
			if ev.Err != "" {
				data["result"], data["error"] = "failed", ev.Err
			}
		}
	case call.EventRouteWebhook:
		// The route's own type, to the webhooks: entry it names.
		out.Type, out.Target = ev.Name, ev.Webhook
		data["from"], data["to"], data["menu"], data["key"], data["data"] = ev.From, ev.To, ev.Menu, ev.Digits, ev.Data
		if ev.Data == nil {
			data["data"] = map[string]string{}
		}
	case call.EventVoicemailRecorded:
		data["box"], data["message"] = ev.Box, ev.Voicemail
	case call.EventCallEnded:
		if ev.Record != nil {
			out.Data = record(ev.Record, node)
			return out
		}
	}
	out.Data = data
	return out
}
