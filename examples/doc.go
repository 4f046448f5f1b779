// Package examples holds example configurations: one per seed system the
// product was specified from, and main.yaml, the IVR `make run` serves.
package examples

import _ "embed"

// Main is examples/main.yaml, served when ivrd runs without --config.
//
//go:embed main.yaml
var Main []byte
