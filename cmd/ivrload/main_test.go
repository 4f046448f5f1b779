package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ivrd/ivrd/bench/ivrload"
)

func TestBadFlagsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"--digit", "12"},
		{"--rtp-ports", "5000"},
		{"--rtp-ports", "6000-5000"},
		{"--telephone-event", "50"},
		{"--local-ip", "nope"},
		{"extra"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
}

func TestConfigErrorsExitOne(t *testing.T) {
	var out, errb bytes.Buffer
	// the key must come before the hold ends
	code := run([]string{"--target", "127.0.0.1:9", "--digit", "1", "--digit-after", "5s", "--hold", "2s"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "before the hold") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

func TestTableFromJSON(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i, n := range []int{400, 1000} {
		r := ivrload.Result{Placed: n, Failures: map[string]int{}, TargetCPU: &ivrload.CPUResult{Percent: 25, MsPerCallSecond: 0.6}}
		if i == 1 {
			r.Failed, r.Failures["INVITE 503"] = 3, 3
		}
		b, _ := json.Marshal(r)
		f := filepath.Join(dir, "r.json"+string(rune('a'+i)))
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	var out, errb bytes.Buffer
	if code := run(append([]string{"table"}, files...), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[2], "| 400 | 25.0 % | 0.60 |") || !strings.Contains(lines[3], "3 (INVITE 503: 3)") {
		t.Fatalf("table:\n%s", out.String())
	}
}

func TestTransportSettingsChecked(t *testing.T) {
	for args, want := range map[string]string{
		"--transport sctp": "want udp or tls",
		"--connections 5":  "--transport tls only",
		"--transport tls --tls-insecure --tls-ca ca.pem":    "not both",
		"--transport tls --tls-ca /nonexistent/ca.pem":      "TLS CA",
		"--transport tls --tls-insecure --sip-port 5099 -v": "--sip-port is for udp",
	} {
		var out, errb bytes.Buffer
		code := run(append([]string{"--target", "127.0.0.1:9"}, strings.Fields(args)...), &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), want) {
			t.Errorf("%s: exit %d, want 1 and %q: %s", args, code, want, errb.String())
		}
	}
}

// lab-ca writes a CA and a server certificate the CA verifies for the
// addresses asked for, and for no other.
func TestLabCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	var out, errb bytes.Buffer
	if code := run([]string{"lab-ca", "--dir", dir, "--ip", "127.0.0.1,127.0.0.2"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.pem holds no certificate")
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for ip, ok := range map[string]bool{"127.0.0.1": true, "127.0.0.2": true, "127.0.0.3": false} {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: ip})
		if (err == nil) != ok {
			t.Errorf("%s: verified %v, want %v (%v)", ip, err == nil, ok, err)
		}
	}
	if code := run([]string{"lab-ca", "--dir", dir, "--ip", "nope"}, &out, &errb); code != 2 {
		t.Errorf("a bad --ip: exit %d, want 2", code)
	}
}
