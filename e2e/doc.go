// Package e2e holds the system tests that drive the ivrd binary itself
// as an operator runs it, built from ./cmd/ivrd into a temporary folder:
// several nodes behind Kamailio on PostgreSQL (cluster_test.go; what they
// share, cluster_state_test.go; make chaos, chaos_test.go, on a
// PostgreSQL server of its own), a node registering its trunk with
// Kamailio as a provider's registrar (registrar_test.go), SIP over TLS
// through the served binary (tls_test.go), the overload guard as shipped
// (overload_test.go), and the container image (container_test.go). It
// has no code outside its tests; nothing may import it.
package e2e
