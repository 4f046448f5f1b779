//go:build !opus

package wideband

import "testing"

// TestOpusNeedsTheOpusBuild stands for the Opus system tests
// (opus_test.go: baresip and ivrload calling in Opus), which need ivrd
// and this test built with Opus.
func TestOpusNeedsTheOpusBuild(t *testing.T) {
	t.Skip("the Opus system tests need -tags opus,nolibopusfile and libopus (apt-get install libopus-dev pkg-config; make test adds the tags when pkg-config finds libopus)")
}
