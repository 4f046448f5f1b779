package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// cliTrunkStatus is one registration as GET /api/v1/trunks/status
// answers it.
type cliTrunkStatus struct {
	Trunk       string     `json:"trunk"`
	Registrar   string     `json:"registrar"`
	Contact     string     `json:"contact"`
	Status      string     `json:"status"`
	LastCode    int        `json:"last_code"`
	LastError   string     `json:"last_error"`
	NextAttempt *time.Time `json:"next_attempt"`
	Expires     *time.Time `json:"expires"`
	Failures    int        `json:"failures"`
}

// runTrunks: `ivrd trunks` prints a running server's trunk registrations
// (Asterisk's pjsip show registrations). Exit status 1 when a
// registration has failed, so that a script can check.
func runTrunks(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trunks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr, token := apiFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd trunks [--api ADDR] [--token T|FILE]\n\nLists the outbound registrations of a running ivrd's trunks: state, the\nregistrar's last answer, when the registration expires and the next attempt.\nExits 1 when one has failed.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	c, err := newAPIClient(*addr, *token)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd trunks: %v\n", err)
		return 1
	}
	var out struct {
		Node   string           `json:"node"`
		Trunks []cliTrunkStatus `json:"trunks"`
	}
	if err := c.do("GET", "/api/v1/trunks/status", nil, &out); err != nil {
		fmt.Fprintf(stderr, "ivrd trunks: %v\n", err)
		return 1
	}
	if len(out.Trunks) == 0 {
		fmt.Fprintln(stdout, "no trunk registers (set register: true on a trunk)")
		return 0
	}
	now := time.Now()
	failed := false
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRUNK\tSTATE\tREGISTRAR\tCONTACT\tLAST\tEXPIRES IN\tNEXT IN\tFAILURES\tERROR")
	for _, t := range out.Trunks {
		failed = failed || t.Status == "failed"
		last := "-"
		if t.LastCode > 0 {
			last = fmt.Sprint(t.LastCode)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", t.Trunk, t.Status, t.Registrar, dash(t.Contact), last,
			until(now, t.Expires), until(now, t.NextAttempt), t.Failures, dash(t.LastError))
	}
	_ = tw.Flush() // stdout: nothing to do about a failed write
	if failed {
		return 1
	}
	return 0
}

// until is how long from now to t, to the second ("-" for none).
func until(now time.Time, t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return max(0, t.Sub(now)).Round(time.Second).String()
}
