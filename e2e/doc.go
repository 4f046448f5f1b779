// Package e2e holds the system tests that drive the ivrd binary itself
// as an operator runs it: several nodes behind Kamailio on PostgreSQL
// (cluster_test.go; what they share, cluster_state_test.go; make chaos,
// chaos_test.go, on a PostgreSQL server of its own), and the container
// image (container_test.go), built from ./cmd/ivrd. It
// has no code outside its tests; nothing may import it.
package e2e
