package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// freeUDPPort finds a loopback UDP port nobody holds right now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// TestSippCallPressesOneAndIsReferred places the bench/sipp/ivr_call.xml
// call against a live ivrd: INVITE, ACK, RFC 4733 '1' from the pcap sipp
// ships, REFER answered 202 + NOTIFY 100/200, BYE from ivrd.
func TestSippCallPressesOneAndIsReferred(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		t.Skip("sipp not installed (apt-get install sip-tester; .ci/run does)")
	}
	pcap := "/usr/share/sip-tester/dtmf_2833_1.pcap"
	if _, err := os.Stat(pcap); err != nil {
		t.Skip("sip-tester's dtmf_2833_1.pcap not found")
	}
	l := startLive(t)
	scenario, err := os.ReadFile("../../bench/sipp/ivr_call.xml")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ivr_call.xml")
	require.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(string(scenario), "DTMF_PCAP", pcap)), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := l.svc.sip.Addr("udp")
	cmd := exec.CommandContext(ctx, sipp, "-sf", path, "-s", "100", "-m", "1",
		"-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(t)),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(freeUDPPort(t)&^1),
		"-timeout", "20s", "-timeout_error", "-nostdin",
		addr.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sipp failed: %v\n%s", err, tail(string(out), 3000))
	}
	require.Contains(t, string(out), "Successful call")
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
