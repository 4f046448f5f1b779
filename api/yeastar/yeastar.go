package yeastar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// The seed's two routes.
const (
	QueryPath  = "/api/v1.0.0/ivr/query"
	UpdatePath = "/api/v1.0.0/ivr/update"
)

// Owns reports whether the request is for this API.
func Owns(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/v1.0.0/") }

// Config is what the API is built from.
type Config struct {
	Store edit.Writer
	Log   *slog.Logger
	// Who names the token that made the request (for the audit log).
	Who func(*http.Request) string
}

// API is the handler set.
type API struct {
	st  edit.Writer
	log *slog.Logger
	who func(*http.Request) string
}

// New builds the API.
func New(c Config) *API {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Who == nil {
		c.Who = func(*http.Request) string { return "" }
	}
	return &API{st: c.Store, log: c.Log, who: c.Who}
}

// Routes adds the API's routes to m.
func (a *API) Routes(m *http.ServeMux) {
	m.HandleFunc("POST "+QueryPath, a.query)
	m.HandleFunc("POST "+UpdatePath, a.update)
}

// IVR is one IVR as the query answers it (all strings, as in the seed's
// sample).
type IVR struct {
	IVRNumber            string `json:"ivrnumber"`
	IVRName              string `json:"ivrname"`
	Prompt               string `json:"prompt"`
	PromptRepeat         string `json:"promptrepeat"`
	ResponseTimeout      string `json:"responsetimeout"`
	DigitTimeout         string `json:"digittimeout"`
	DialExt              string `json:"dialext"`
	DialOutboundRoutes   string `json:"dialoutboundroutes"`
	SelectedRouters      string `json:"selectedrouters,omitempty"`
	DialToCheckVoicemail string `json:"dialtocheckvoicemail"`
}

type queryAnswer struct {
	Status string `json:"status"`
	IVR    []IVR  `json:"ivr"`
}

type success struct {
	Status string `json:"status"`
}

// value is a parameter: Yeastar's clients send strings, and numbers for
// the timeouts (the seed types them Int).
type value string

func (v *value) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*v = value(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", data)
	}
	*v = value(n.String())
	return nil
}

// request is every parameter of query and update. The query's answer
// fields that update does not take (prompt, dialoutboundroutes,
// selectedrouters) are accepted when they equal the IVR's, so that a
// query result can be sent back as an update.
type request struct {
	IVRID                *value `json:"ivrid"`
	IVRNumber            *value `json:"ivrnumber"`
	IVRName              *value `json:"ivrname"`
	PromptRepeat         *value `json:"promptrepeat"`
	ResponseTimeout      *value `json:"responsetimeout"`
	DigitTimeout         *value `json:"digittimeout"`
	DialExt              *value `json:"dialext"`
	DialToCheckVoicemail *value `json:"dialtocheckvoicemail"`
	Prompt               *value `json:"prompt"`
	DialOutboundRoutes   *value `json:"dialoutboundroutes"`
	SelectedRouters      *value `json:"selectedrouters"`
}

// failed is an error with its Yeastar code.
type failed struct {
	errno Errno
	msg   string
}

func (e *failed) Error() string { return e.msg }

func fail(errno Errno, format string, a ...any) error {
	return &failed{errno, fmt.Sprintf(format, a...)}
}

// read decodes the body strictly; an empty body is no parameter.
func read(r *http.Request) (request, error) {
	var req request
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return req, fail(ErrNotJSON, "reading the body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return req, nil // "sending no parameter means query all"
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(&req)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	var syn *json.SyntaxError
	switch {
	case err == nil:
		return req, nil
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return req, fail(ErrUnsupported, "unknown parameter %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "JSON value"):
		return req, fail(ErrNotJSON, "malformed JSON: %v", err)
	}
	return req, fail(ErrIVRConfig, "%v", err)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// secs is a stored duration in whole seconds, def when unset.
func secs(s string, def time.Duration) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		d = def
	}
	return strconv.Itoa(int(d / time.Second))
}

// view is the IVR as the number reaches it. prompt is the menu prompt
// ivrd plays, "" when it plays none (Yeastar's "[Default]" would say a
// prompt plays).
func view(number string, m *edit.IVR) IVR {
	name := m.Name
	if name == "" {
		name = m.ID
	}
	repeat := strconv.Itoa(ivr.DefaultPromptRepeat)
	if m.PromptRepeat != 0 {
		repeat = strconv.Itoa(m.PromptRepeat)
	}
	v := IVR{IVRNumber: number, IVRName: name, Prompt: m.Prompt, PromptRepeat: repeat,
		ResponseTimeout: secs(m.ResponseTimeout, 5*time.Second), DigitTimeout: secs(m.DigitTimeout, 3*time.Second),
		DialExt: onOff(m.DirectDial), DialOutboundRoutes: onOff(m.DialOut != nil), DialToCheckVoicemail: onOff(hasVMCheck(m))}
	if m.DialOut != nil {
		v.SelectedRouters = m.DialOut.Trunk
	}
	return v
}

func (a *API) query(w http.ResponseWriter, r *http.Request) {
	req, err := read(r)
	if err == nil && (req.IVRNumber != nil || req.IVRName != nil || req.PromptRepeat != nil || req.ResponseTimeout != nil ||
		req.DigitTimeout != nil || req.DialExt != nil || req.DialToCheckVoicemail != nil || req.Prompt != nil ||
		req.DialOutboundRoutes != nil || req.SelectedRouters != nil) {
		err = fail(ErrUnsupported, "query takes ivrid only")
	}
	if err != nil {
		a.answerError(w, r, err)
		return
	}
	ivrs, err := edit.List[edit.IVR](r.Context(), a.st, store.IVRs)
	if err != nil {
		a.answerError(w, r, err)
		return
	}
	out := []IVR{}
	if req.IVRID == nil || strings.TrimSpace(string(*req.IVRID)) == "" {
		for _, it := range ivrs {
			if len(it.Body.Extensions) > 0 {
				out = append(out, view(it.Body.Extensions[0], &it.Body))
			}
		}
		writeJSON(w, queryAnswer{Status: "Success", IVR: out})
		return
	}
	// Each number asked for, in order: a number is a Yeastar IVR.
	var missing []string
	for _, n := range strings.Split(string(*req.IVRID), ",") {
		n = strings.TrimSpace(n)
		if it := byNumber(ivrs, n); it != nil {
			out = append(out, view(n, &it.Body))
		} else if n != "" {
			missing = append(missing, n)
		}
	}
	if len(out) == 0 {
		WriteError(w, ErrNoIVR, fmt.Sprintf("no IVR has number %s", strings.Join(missing, ",")))
		return
	}
	writeJSON(w, queryAnswer{Status: "Success", IVR: out})
}

func byNumber(ivrs []edit.Item[edit.IVR], number string) *edit.Item[edit.IVR] {
	for i := range ivrs {
		if slices.Contains(ivrs[i].Body.Extensions, number) {
			return &ivrs[i]
		}
	}
	return nil
}

// answerError answers err with its code: a failed, a refused
// configuration (10018 with every problem), else 30001 (logged).
func (a *API) answerError(w http.ResponseWriter, r *http.Request, err error) {
	var f *failed
	var verr *store.ValidationError
	switch {
	case errors.As(err, &f):
		WriteError(w, f.errno, f.msg)
	case errors.As(err, &verr):
		var msgs []string
		for _, p := range verr.Problems {
			if !p.Warning {
				msgs = append(msgs, p.String())
			}
		}
		WriteError(w, ErrIVRConfig, strings.Join(msgs, "; "))
	case errors.Is(err, store.ErrBadInput):
		WriteError(w, ErrIVRConfig, err.Error())
	case errors.Is(err, store.ErrNotFound):
		WriteError(w, ErrNoIVR, err.Error())
	default:
		a.log.Error("yeastar api", "path", r.URL.Path, "err", err)
		WriteError(w, ErrInternalError, "internal error")
	}
}
