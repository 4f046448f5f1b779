// Command ivrload is a load generator for IVRs: it places many concurrent
// SIP calls to any target, streams caller audio, presses a key and checks
// the reaction, and reports loss, inter-arrival error, digit-to-action
// latency, failures and CPU. It is flags and output only; the engine is
// package bench/ivrload, which must not import ivrd's server packages.
package main
