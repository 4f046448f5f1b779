// Package siptest is a scriptable SIP caller for tests: a sipgo user agent
// on 127.0.0.1 with its own RTP socket, which records every request the
// server sends it (BYE, REFER, ...) and every RTP packet it receives.
// It is test tooling; the server never imports it.
package siptest
