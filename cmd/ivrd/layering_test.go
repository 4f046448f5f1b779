package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPackagesImportOneWay holds the layering the README states: sip
// knows no menus, media no signalling, ivr no network; only call joins
// them. (Direct imports; a forbidden one is an error naming both ends.)
func TestPackagesImportOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/ivrd/ivrd/...").CombinedOutput()
	require.NoError(t, err, string(out))
	const mod = "github.com/ivrd/ivrd/"
	forbidden := map[string][]string{
		"sip":     {mod + "ivr", mod + "call", mod + "api", mod + "store"},
		"media":   {mod + "sip", mod + "ivr", mod + "call", mod + "dtmf", mod + "api"},
		"ivr":     {"net", "net/http", mod + "sip", mod + "media", mod + "call", "github.com/emiago/sipgo", "github.com/pion/rtp"},
		"dtmf":    {mod + "sip", mod + "media", mod + "ivr", mod + "call"},
		"prompts": {"net", mod + "sip", mod + "media", mod + "ivr", mod + "call"},
		"audio":   {"net", mod + "sip", mod + "media", mod + "ivr", mod + "call", mod + "prompts"},
		"store":   {mod + "sip", mod + "media", mod + "call", mod + "api"},
		"api":     {mod + "sip", mod + "media"},
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		bad, ok := forbidden[pkg]
		if !ok {
			continue
		}
		seen++
		for _, imp := range fields[1:] {
			for _, b := range bad {
				if imp == b {
					t.Errorf("%s imports %s", pkg, imp)
				}
			}
		}
	}
	require.Equal(t, len(forbidden), seen, "every package of the rule was listed")
}
