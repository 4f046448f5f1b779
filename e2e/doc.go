// Package e2e holds the system tests that drive the ivrd binary itself
// as an operator runs it: several nodes behind Kamailio on PostgreSQL
// (cluster_test.go), and a node registering its trunk with Kamailio as a
// provider's registrar (registrar_test.go), built from ./cmd/ivrd into a
// temporary folder. It has no code outside its tests; nothing may import
// it.
package e2e
