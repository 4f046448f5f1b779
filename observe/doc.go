// Package observe is what an operator watches ivrd with: the Prometheus
// metrics served at /metrics (calls, SIP responses, digits, transfers,
// RTP quality at call end, the RTP port pool, store latency, API
// requests) and the /healthz and /readyz answers a load balancer asks.
//
// It hears the rest of the server only through hooks cmd/ivrd connects:
// call events (call.Options.Events), SIP responses (sip.Config.OnResponse),
// store statements (store.Options.QueryHook) and a few gauges read when
// scraped. It imports call for the event type only. sip, media, ivr, store
// and call must not import observe or prometheus: the hooks keep them
// free of both.
package observe
