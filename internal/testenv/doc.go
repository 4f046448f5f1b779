// Package testenv tells tests about the run they are in, so the costly
// ones can step aside where running them again proves nothing new.
//
// The race detector (make race) multiplies the cost of every call into a
// real peer (sipp, Kamailio, a browser, hundreds of calls) by five to
// twenty, and those system tests exercise ivrd's own code through the
// same paths its package tests already run under the detector. So a
// system test calls SkipUnderRace, and runs once, in make test.
//
// Buffer is a log destination that the code under test writes from its
// own goroutines (or exec's copying ones) while the test reads it: one
// type for every package's tests.
//
// AllocsPerRun is testing.AllocsPerRun made deaf to another goroutine's
// allocations: the fewest of three measurements.
//
// BaresipPort picks the SIP port for a baresip peer, which binds three
// sockets (UDP, TCP, and TLS on the port above) and fails when any is
// taken.
//
// Test code only: it imports nothing of ivrd, and no production package
// imports it.
package testenv
