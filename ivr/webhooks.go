package ivr

import (
	"fmt"
	"net/url"
	"slices"
)

// Webhook (ivrd addition, top-level webhooks:) is a URL that receives
// call events as signed JSON POSTs.
type Webhook struct {
	// Name lets a webhook destination target this entry (or its URL).
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Secret keys the HMAC-SHA256 signature of every delivery.
	Secret string `yaml:"secret"`
	// Events filters what is sent; empty: every event.
	Events []string `yaml:"events"`
}

// WebhookEvents are the event types a webhook can ask for.
var WebhookEvents = []string{"call.started", "menu.entered", "digit", "transfer.started", "transfer.finished",
	"voicemail.recorded", "call.ended", RouteWebhookEvent}

// Wants says whether the webhook takes events of type t.
func (w Webhook) Wants(t string) bool { return len(w.Events) == 0 || slices.Contains(w.Events, t) }

// webhooks checks webhooks: and server.store_retention_days.
func (v *validator) webhooks() {
	if d := v.c.Server.StoreRetentionDays; d < 0 {
		v.errf("server.store_retention_days", "%d: want 0 (keep forever) or more days", d)
	}
	v.webhookNames()
	routeEvents := v.c.routeEvents()
	seen := map[string]bool{}
	for i, w := range v.c.Webhooks {
		path := fmt.Sprintf("webhooks[%d]", i)
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errf(path+".url", "%q: want an http:// or https:// URL", w.URL)
		} else if seen[w.URL] {
			v.errf(path+".url", "%q is listed twice", w.URL)
		}
		seen[w.URL] = true
		if len(w.Secret) < 16 {
			v.errf(path+".secret", "want a secret of at least 16 characters (it signs every delivery)")
		}
		for j, e := range w.Events {
			if !slices.Contains(WebhookEvents, e) && !routeEvents[e] {
				v.errf(fmt.Sprintf("%s.events[%d]", path, j), "unknown event %q (%v or a webhook route's event)", e, WebhookEvents)
			}
		}
		if u != nil && u.Scheme == "http" && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1" {
			v.warnf(path+".url", "%q is plain HTTP: call events (numbers, keys) cross the network unencrypted", w.URL)
		}
	}
}
