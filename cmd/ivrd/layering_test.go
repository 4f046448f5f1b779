package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// imports reports whether imp is pkg or, for a module path, lies below it
// (net/netip and net/url are value parsers, not the network: a standard
// library name matches only itself).
func imports(imp, pkg string) bool {
	return imp == pkg || strings.Contains(pkg, ".") && strings.HasPrefix(imp, pkg+"/")
}

// TestPackagesImportOneWay holds the layering the README and each doc.go
// state: sip knows no menus, media no signalling, ivr no network, audio
// nothing of ivrd, and the test peers (dtmftest, siptest) never reach the
// binary. Only non-test imports are read (go list's Imports); a forbidden
// one is an error naming both ends.
func TestPackagesImportOneWay(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/ivrd/ivrd/...").CombinedOutput()
	require.NoError(t, err, string(out))
	const mod = "github.com/ivrd/ivrd"
	network := []string{"net", "net/http", "github.com/pion", "github.com/emiago/sipgo"}
	forbidden := map[string][]string{
		"sip":           {mod + "/ivr", mod + "/call", mod + "/api", mod + "/store"},
		"media":         {mod + "/sip", mod + "/ivr", mod + "/call", mod + "/dtmf", mod + "/api"},
		"ivr":           append([]string{mod + "/sip", mod + "/media", mod + "/call"}, network...),
		"dtmf":          {mod + "/sip", mod + "/media", mod + "/ivr", mod + "/call"},
		"prompts":       append([]string{mod + "/sip", mod + "/media", mod + "/ivr", mod + "/call"}, network...),
		"audio":         append([]string{mod}, network...),
		"dtmf/dtmftest": {mod + "/dtmf"}, // an independent reference for the detector
		"store":         {mod + "/sip", mod + "/media", mod + "/call", mod + "/api"},
		"api":           {mod + "/sip", mod + "/media"},
		"bench/ivrload": {mod + "/sip", mod + "/media", mod + "/ivr", mod + "/call"},
		"cmd/ivrd":      {}, // the binary: the test peers below
		"sip/siptest":   {},
		"ui":            {mod},
		"observe":       {mod + "/sip", mod + "/media"},
		"webhook":       {mod + "/sip", mod + "/media", mod + "/call"},
		"call":          {mod + "/api", mod + "/cmd"},
		"cmd/ivrload":   {mod + "/sip", mod + "/media", mod + "/ivr", mod + "/call"},
		"cdr":           append([]string{mod}, network...),
	}
	testPeers := []string{mod + "/dtmf/dtmftest", mod + "/sip/siptest", mod + "/node/nodetest", mod + "/store/storetest"}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], mod), "/")
		bad := forbidden[pkg]
		if _, ok := forbidden[pkg]; ok {
			seen++
		}
		for _, imp := range fields[1:] {
			for _, b := range bad {
				if imports(imp, b) {
					t.Errorf("%s imports %s", pkg, imp)
				}
			}
			for _, peer := range testPeers {
				if imp == peer && !slices.Contains(testPeers, fields[0]) {
					t.Errorf("%s (production code) imports the test peer %s", pkg, imp)
				}
			}
		}
	}
	require.Equal(t, len(forbidden), seen, "every package the rule names was listed")
}
