package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
)

// varFlags is a repeatable --var NAME=VALUE.
type varFlags map[string]string

func (v varFlags) String() string { return fmt.Sprint(map[string]string(v)) }

func (v varFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q: want NAME=VALUE", s)
	}
	v[name] = value
	return nil
}

// placeBody is the body of POST /api/v1/calls the CLI sends.
type placeBody struct {
	To          string            `json:"to"`
	Trunk       string            `json:"trunk,omitempty"`
	CallerID    string            `json:"caller_id,omitempty"`
	IVR         string            `json:"ivr,omitempty"`
	OnAnswer    json.RawMessage   `json:"on_answer,omitempty"`
	Variables   map[string]string `json:"variables,omitempty"`
	RingTimeout string            `json:"ring_timeout,omitempty"`
}

// runPlace is `ivrd calls place`: POST /api/v1/calls on a running ivrd.
func runPlace(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("calls place", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr, token := apiFlags(fs)
	var b placeBody
	fs.StringVar(&b.To, "to", "", "whom to call: a number (with --trunk), an extension, or a SIP URI")
	fs.StringVar(&b.Trunk, "trunk", "", "the trunk a number goes out through")
	fs.StringVar(&b.CallerID, "caller-id", "", "the caller id shown")
	fs.StringVar(&b.IVR, "ivr", "", "the IVR the called party hears")
	onAnswer := fs.String("on-answer", "", "instead of --ivr: a destination as JSON, e.g. '{\"play\": \"reminder\", \"then\": \"hangup\"}'")
	fs.StringVar(&b.RingTimeout, "ring-timeout", "", "how long it rings (default 30s)")
	vars := varFlags{}
	fs.Var(vars, "var", "a call variable NAME=VALUE (${vars.NAME}); repeatable")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd calls place --to NUMBER|EXTENSION|URI [--trunk T] [--caller-id N] --ivr ID|--on-answer JSON [--var NAME=VALUE]... [--ring-timeout D]\n\nPlaces a call from a running ivrd: when it is answered the called party hears the IVR.\nThe call's record (ivrd cdr) says direction outbound.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if b.To == "" || (b.IVR == "") == (*onAnswer == "") || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *onAnswer != "" {
		if !json.Valid([]byte(*onAnswer)) {
			fmt.Fprintf(stderr, "ivrd calls place: --on-answer %q is not JSON\n", *onAnswer)
			return 2
		}
		b.OnAnswer = json.RawMessage(*onAnswer)
	}
	if len(vars) > 0 {
		b.Variables = vars
	}
	c, err := newAPIClient(*addr, *token)
	if err == nil {
		var body []byte
		body, err = json.Marshal(b)
		var out struct {
			CallID string `json:"call_id"`
		}
		if err == nil {
			err = c.do("POST", "/api/v1/calls", bytes.NewReader(body), &out)
		}
		if err == nil {
			fmt.Fprintf(stdout, "placed %s\n", out.CallID)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "ivrd calls place: %v\n", err)
		return 1
	}
	return 0
}
