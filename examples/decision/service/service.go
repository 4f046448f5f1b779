// Package service is the reference decision service of
// examples/account-lookup.yaml: it answers ivrd's ask requests by
// looking the caller's account number up in a small in-memory table.
// It uses the standard library only, so that it reads as a template for
// a service in any language: verify the signature, read the JSON, answer
// a destination.
package service

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request is the part of ivrd's ask request this service reads.
type Request struct {
	CallID string            `json:"call_id"`
	Caller string            `json:"caller"`
	Digits string            `json:"digits"`
	Vars   map[string]string `json:"vars"`
}

// Account is one row of the table.
type Account struct {
	Name string
	Tier string // gold, standard or overdue
}

// Answer is a destination in ivrd's configuration schema, plus vars and
// say. Only the fields this service uses.
type Answer struct {
	Extension string            `json:"extension,omitempty"`
	Say       string            `json:"say,omitempty"`
	Vars      map[string]string `json:"vars,omitempty"`
}

// Service answers lookups.
type Service struct {
	Secret   string // "": signatures are not checked
	Accounts map[string]Account
	// Tolerance is how far a request's timestamp may be from now.
	Tolerance time.Duration
}

// Demo is the table the example ships with.
func Demo(secret string) *Service {
	return &Service{Secret: secret, Tolerance: 5 * time.Minute, Accounts: map[string]Account{
		"123456": {Name: "Ada", Tier: "gold"},
		"222222": {Name: "Brian", Tier: "standard"},
		"654321": {Name: "Carol", Tier: "overdue"},
	}}
}

// ServeHTTP answers POST /lookup.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/lookup" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if s.Secret != "" && !s.signed(r.Header.Get("X-Ivrd-Signature"), body) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.route(req.Digits))
}

// route is the business rule: gold customers to the premium desk,
// overdue accounts to collections, the rest (and unknown numbers) to
// the front desk.
func (s *Service) route(account string) Answer {
	a, ok := s.Accounts[account]
	switch {
	case !ok:
		return Answer{Extension: "1001", Say: "We could not find that account. Connecting you to the front desk."}
	case a.Tier == "gold":
		return Answer{Extension: "1002", Say: "Welcome back, " + a.Name + ".", Vars: map[string]string{"tier": a.Tier}}
	case a.Tier == "overdue":
		return Answer{Extension: "1003", Vars: map[string]string{"tier": a.Tier}}
	}
	return Answer{Extension: "1001", Vars: map[string]string{"tier": a.Tier}}
}

// signed checks X-Ivrd-Signature: "t=UNIX,v1=HEX", HEX being
// HMAC-SHA256 with the secret over the timestamp, ".", and the body.
func (s *Service) signed(header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := time.Since(time.Unix(sec, 0)); d > s.Tolerance || d < -s.Tolerance {
		return false // a replay
	}
	m := hmac.New(sha256.New, []byte(s.Secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil))))
}
