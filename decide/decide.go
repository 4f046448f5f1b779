package decide

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

// SignatureHeader is the webhooks' header: "t=UNIX,v1=HEX", HEX being
// HMAC-SHA256 with the secret over the timestamp, ".", and the body.
const SignatureHeader = "X-Ivrd-Signature"

// Defaults for what Options leave out.
const (
	DefaultMaxConcurrent   = 100
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 10 * time.Second
	// maxTargets bounds the per-URL table: URLs built from variables
	// must not grow it without end.
	maxTargets = 1024
)

// Errors a Decide can end with (each wrapped with detail).
var (
	ErrRefusedTarget = errors.New("refused target (a loopback, private, link-local or metadata address; ask.allow_private lets it)")
	ErrBusy          = errors.New("too many requests in flight to this URL")
	ErrCircuitOpen   = errors.New("circuit open: the service failed repeatedly")
	ErrStatus        = errors.New("status not 2xx")
	ErrTooLarge      = errors.New("answer too large")
)

// Options tune a Client; zero values take the defaults.
type Options struct {
	Secret          string // signs requests; "" unsigned
	AllowPrivate    bool
	MaxConcurrent   int // per URL
	BreakerFailures int
	BreakerCooldown time.Duration
	UserAgent       string
	Log             *slog.Logger
	// Now is the clock of the breaker (tests); nil: time.Now.
	Now func() time.Time
}

// Client asks decision services. Safe for concurrent use; make one per
// node (Options change: make another, the old one's connections close
// when idle).
type Client struct {
	opt  Options
	http *http.Client

	mu      sync.Mutex // guards targets
	targets map[string]*target
}

// target is one URL's limiter and breaker.
type target struct {
	inFlight  int
	failures  int // in a row
	openUntil time.Time
	probing   bool // half-open: one request is trying the service
}

// New makes a Client.
func New(opt Options) *Client {
	if opt.MaxConcurrent <= 0 {
		opt.MaxConcurrent = DefaultMaxConcurrent
	}
	if opt.BreakerFailures <= 0 {
		opt.BreakerFailures = DefaultBreakerFailures
	}
	if opt.BreakerCooldown <= 0 {
		opt.BreakerCooldown = DefaultBreakerCooldown
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "ivrd"
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !opt.AllowPrivate {
		dialer.ControlContext = refusePrivate
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would be the address dialled, not the service
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   opt.MaxConcurrent,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: ivr.MaxAskTimeout,
	}
	return &Client{opt: opt, targets: map[string]*target{}, http: &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // the 3xx is the answer, and not 2xx
		},
	}}
}

// Close drops idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Decide asks url (with a's timeout) and returns the outcome for the
// executor: the decoded, validated answer, or why there is none.
// prompts are the prompt names that exist (cfg.AnswerPrompts; nil: not
// checked).
func (c *Client) Decide(ctx context.Context, cfg *ivr.Config, a ivr.Ask, prompts ivr.PromptSet) ivr.AskResult {
	body, err := c.Post(ctx, a.URL, a.Timeout, a.Request)
	if err != nil {
		return ivr.AskResult{ID: a.ID, Err: err}
	}
	ans, err := cfg.DecodeAnswer(body, a.Request.IVR, prompts)
	return ivr.AskResult{ID: a.ID, Answer: ans, Err: err}
}

// Post sends req to rawURL and returns the 2xx answer's body.
func (c *Client) Post(ctx context.Context, rawURL string, timeout time.Duration, req ivr.AskRequest) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bad URL %q", rawURL)
	}
	key := u.Scheme + "://" + u.Host + u.Path
	if err := c.acquire(key); err != nil {
		return nil, err
	}
	body, err := c.post(ctx, u.String(), timeout, req)
	c.release(key, err == nil)
	return body, err
}

func (c *Client) post(ctx context.Context, u string, timeout time.Duration, req ivr.AskRequest) ([]byte, error) {
	if timeout <= 0 {
		timeout = ivr.DefaultAskTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", c.opt.UserAgent)
	if c.opt.Secret != "" {
		hr.Header.Set(SignatureHeader, Sign(c.opt.Secret, c.opt.Now(), payload))
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("no answer within %v", timeout)
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // keep the connection
		if loc := resp.Header.Get("Location"); loc != "" {
			return nil, fmt.Errorf("%w: %d (a redirect to %s: not followed)", ErrStatus, resp.StatusCode, loc)
		}
		return nil, fmt.Errorf("%w: %d", ErrStatus, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, ivr.MaxAnswerSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(body) > ivr.MaxAnswerSize {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, ivr.MaxAnswerSize)
	}
	return body, nil
}

// acquire takes a place for a request to key, or says why not.
func (c *Client) acquire(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.targets[key]
	if t == nil {
		if len(c.targets) >= maxTargets {
			c.forgetIdle()
		}
		t = &target{}
		c.targets[key] = t
	}
	probe := false
	if t.failures >= c.opt.BreakerFailures {
		if c.opt.Now().Before(t.openUntil) || t.probing {
			return ErrCircuitOpen
		}
		probe = true // half-open: this request tries the service
	}
	if t.inFlight >= c.opt.MaxConcurrent {
		return fmt.Errorf("%w (%d)", ErrBusy, c.opt.MaxConcurrent)
	}
	t.probing = probe
	t.inFlight++
	return nil
}

// release returns the place and counts the outcome for the breaker.
func (c *Client) release(key string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.targets[key]
	if t == nil {
		return
	}
	t.inFlight--
	t.probing = false
	if ok {
		t.failures = 0
		return
	}
	t.failures++
	if t.failures >= c.opt.BreakerFailures {
		t.openUntil = c.opt.Now().Add(c.opt.BreakerCooldown)
		if t.failures == c.opt.BreakerFailures {
			c.opt.Log.Warn("ask: circuit open", "url", key, "failures", t.failures, "for", c.opt.BreakerCooldown)
		}
	}
}

// forgetIdle drops targets with nothing in flight and nothing to
// remember. Called with c.mu held.
func (c *Client) forgetIdle() {
	for k, t := range c.targets {
		if t.inFlight == 0 && t.failures == 0 {
			delete(c.targets, k)
		}
	}
}

// Sign is the signature header value for body sent at t: the same
// scheme as the webhooks', so a receiver verifies both alike.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}
