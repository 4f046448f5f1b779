package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/cdr"
)

// apiClient is the CLI's side of the API: `ivrd calls` and `ivrd cdr`
// print what a running server answers (Asterisk's core show channels).
type apiClient struct {
	base  string // http://127.0.0.1:8080
	token string
	http  *http.Client
}

func apiFlags(fs *flag.FlagSet) (addr, token *string) {
	addr = fs.String("api", "127.0.0.1:8080", "the API's address (host:port or a URL, https:// for TLS)")
	token = fs.String("token", "data/api-token", "an API token, or a file holding one")
	return addr, token
}

func newAPIClient(addr, token string) (*apiClient, error) {
	base := addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--api %q: want host:port or a URL", addr)
	}
	if data, err := os.ReadFile(token); err == nil {
		token = strings.TrimSpace(string(data))
	} else if strings.ContainsAny(token, "/\\") || token == "" {
		return nil, fmt.Errorf("--token %q: %w (give a token or a file holding one)", token, err)
	}
	return &apiClient{base: strings.TrimRight(u.String(), "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// do sends a request and decodes a JSON answer into out (nil: none); an
// error answer becomes its message.
func (c *apiClient) do(method, path string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(context.Background(), method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s (%d %s)", e.Error.Message, resp.StatusCode, e.Error.Code)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

func runCalls(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "place" {
		return runPlace(args[1:], stdout, stderr) // cmd_place.go
	}
	fs := flag.NewFlagSet("calls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr, token := apiFlags(fs)
	cluster := fs.Bool("cluster", false, "also other nodes' calls from a shared PostgreSQL store")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd calls [--api ADDR] [--token T|FILE] [--cluster]\n       ivrd calls hangup CALL-ID\n       ivrd calls transfer CALL-ID URI [refer|bridge|auto]\n       ivrd calls place --to ... --ivr ID (see ivrd calls place -h)\n\nLists the calls in progress of a running ivrd, hangs one up, moves one or places one.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	c, err := newAPIClient(*addr, *token)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd calls: %v\n", err)
		return 1
	}
	rest := fs.Args()
	switch {
	case len(rest) == 2 && rest[0] == "hangup":
		err = c.do("DELETE", "/api/v1/calls/"+url.PathEscape(rest[1]), nil, nil)
		if err == nil {
			fmt.Fprintf(stdout, "hung up %s\n", rest[1])
		}
	case (len(rest) == 3 || len(rest) == 4) && rest[0] == "transfer":
		body := map[string]string{"uri": rest[2]}
		if len(rest) == 4 {
			body["method"] = rest[3]
		}
		b, _ := json.Marshal(body)
		err = c.do("POST", "/api/v1/calls/"+url.PathEscape(rest[1])+"/transfer", strings.NewReader(string(b)), nil)
		if err == nil {
			fmt.Fprintf(stdout, "transferred %s to %s\n", rest[1], rest[2])
		}
	case len(rest) == 0:
		err = c.listCalls(stdout, *cluster)
	default:
		fs.Usage()
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "ivrd calls: %v\n", err)
		return 1
	}
	return 0
}

func (c *apiClient) listCalls(w io.Writer, cluster bool) error {
	path := "/api/v1/calls"
	if cluster {
		path += "?scope=cluster"
	}
	var out struct{ Items []api.LiveCall }
	if err := c.do("GET", path, nil, &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CALL-ID\tFROM\tTO\tIVR\tMENU\tSTATE\tDURATION\tCODEC\tLOST\tJITTER\tMOS")
	for _, lc := range out.Items {
		lost, jitter, mos := "-", "-", "-"
		if q := lc.Quality; q != nil {
			lost, jitter, mos = fmt.Sprint(q.Lost), fmt.Sprintf("%.1fms", q.JitterMs), fmt.Sprintf("%.2f", q.MOSIn)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", lc.CallID, dash(lc.From), dash(lc.To), dash(lc.IVR), dash(lc.Menu),
			lc.State, (time.Duration(lc.DurationMs) * time.Millisecond).Round(time.Second), dash(lc.Codec), lost, jitter, mos)
	}
	fmt.Fprintf(tw, "%d active call(s)\n", len(out.Items))
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runCDR(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cdr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr, token := apiFlags(fs)
	limit := fs.Int("limit", 20, "how many records, newest first (1-1000)")
	q := map[string]*string{}
	for _, f := range []struct{ name, help string }{
		{"ivr", "only calls that reached this IVR"}, {"caller", "only calls from this caller"},
		{"end_reason", "only calls that ended for this reason"}, {"outcome", "only calls whose outcome is of this kind (transfer, voicemail, hangup, caller hung up, ended)"},
		{"key", "only calls where this key was pressed"}, {"from", "from this time (RFC 3339 or YYYY-MM-DD)"},
		{"to", "before this time (RFC 3339 or YYYY-MM-DD)"},
	} {
		q[f.name] = fs.String(f.name, "", f.help)
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd cdr [--api ADDR] [--token T|FILE] [--limit N] [filters]\n\nPrints the call records of a running ivrd, newest first.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	c, err := newAPIClient(*addr, *token)
	if err == nil {
		v := url.Values{"limit": {fmt.Sprint(*limit)}}
		for k, p := range q {
			if *p != "" {
				v.Set(k, *p)
			}
		}
		err = c.printCDR(stdout, v)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ivrd cdr: %v\n", err)
		return 1
	}
	return 0
}

func (c *apiClient) printCDR(w io.Writer, v url.Values) error {
	var out struct{ Items []cdr.Record }
	if err := c.do("GET", "/api/v1/calls/history?"+v.Encode(), nil, &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tCALL-ID\tFROM\tTO\tIVR\tPATH\tKEYS\tDURATION\tOUTCOME\tEND REASON\tBY\tMOS")
	for _, r := range out.Items {
		keys := ""
		for _, k := range r.Keys {
			keys += k.Key
		}
		dur := "-"
		if r.AnswerAt != nil && r.EndAt != nil {
			dur = r.EndAt.Sub(*r.AnswerAt).Round(time.Second).String()
		}
		reason := string(r.EndReason)
		if r.State == cdr.StateStarted {
			reason = "(in progress)"
		}
		mos := "-"
		if r.Quality.MOSIn > 0 {
			mos = fmt.Sprintf("%.2f", r.Quality.MOSIn)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.InviteAt.Local().Format("2006-01-02 15:04:05"), r.CallID,
			dash(r.From), dash(r.To), dash(r.IVR), dash(r.Path.String()), dash(keys), dur, dash(r.Outcome.String()), dash(reason), dash(string(r.EndedBy)), mos)
	}
	if len(out.Items) == 0 {
		fmt.Fprintln(tw, "no call records")
	}
	return tw.Flush()
}
