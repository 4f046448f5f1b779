// Package decide asks a customer's decision service where a call goes:
// the HTTP side of an ask destination. Client.Decide POSTs the call's
// context (ivr.AskRequest) as JSON signed like the webhooks
// (X-Ivrd-Signature), reads at most ivr.MaxAnswerSize of the answer and
// hands it to ivr's decoder and validator (Config.DecodeAnswer), so an
// answer runs only if it would be accepted as configuration.
//
// What it owns, so that one slow or hostile service cannot hurt calls:
//
//   - one http.Client and Transport for every call (connections reused);
//   - no redirects followed, no proxy from the environment;
//   - SSRF protection: the address actually dialled (after DNS) must not
//     be loopback, private, link-local (cloud metadata), CGNAT,
//     unspecified or multicast unless Options.AllowPrivate;
//   - a limit of requests in flight per URL (without its query): a call
//     beyond it takes its fallback at once rather than queueing;
//   - a circuit breaker per URL: after BreakerFailures failures in a
//     row, calls take their fallback at once for BreakerCooldown, then
//     one request tries the service again.
//
// It imports ivr (types and the answer decoder) and nothing else of
// ivrd: not sip, media, call, store, webhook or prompts. Package call
// uses it through its own Decider interface; node wires it.
package decide
