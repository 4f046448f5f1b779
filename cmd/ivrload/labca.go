package main

import (
	"errors"
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/ivrd/ivrd/bench/ivrload"
)

// runLabCA writes a lab CA and a server certificate signed by it:
// DIR/ca.pem for the callers (--tls-ca), DIR/server.pem and
// DIR/server.key for the server's tls:// listener.
func runLabCA(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ivrload lab-ca", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "folder to write ca.pem, server.pem and server.key to (created if missing)")
	ips := fs.String("ip", "127.0.0.1", "the server's addresses, comma-separated (the certificate's IP SANs)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *dir == "" || fs.NArg() > 0 {
		say(stderr, "ivrload lab-ca: want --dir DIR [--ip A,B]")
		return 2
	}
	var addrs []netip.Addr
	for _, s := range strings.Split(*ips, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			sayf(stderr, "ivrload lab-ca: --ip: %v\n", err)
			return 2
		}
		addrs = append(addrs, a)
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		say(stderr, err)
		return 1
	}
	ca, err := ivrload.NewLabCA(*dir)
	if err != nil {
		say(stderr, err)
		return 1
	}
	cert, key := filepath.Join(*dir, "server.pem"), filepath.Join(*dir, "server.key")
	if _, err := ca.IssueServer(cert, key, addrs); err != nil {
		say(stderr, err)
		return 1
	}
	sayf(stdout, "ca: %s\ncert: %s\nkey: %s\n", ca.CAFile, cert, key)
	return 0
}
