package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivrd/ivrd/store"
)

// The Yeastar IVR API (the seed's "Query One or More IVRs" and "Configure
// an Individual IVR"), mapped onto the same IVRs as the native API: a
// Yeastar IVR is an ivrd IVR with at least one extension, its "ivrnumber"
// the first extension. Answers are HTTP 200 with "status" Success or
// Failed, as Yeastar's are; the token comes in ?token=.
const (
	yeastarQuery  = "/api/v1.0.0/ivr/query"
	yeastarUpdate = "/api/v1.0.0/ivr/update"
)

// Error codes. The seed lists 10012 and 30001 as possible without saying
// what they mean; ivrd uses 10012 for a bad or out-of-range parameter and
// 30001 for an IVR that does not exist, and 10004 for a token refused.
const (
	yeastarAuthCode     = 10004
	yeastarBadParam     = 10012
	yeastarNotFound     = 30001
	yeastarInternalCode = 10000
)

func isYeastar(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/v1.0.0/") }

func writeYeastarError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "Failed", "errcode": code, "errmsg": msg})
}

// yeastarIVR is one IVR as the query answers it (all strings, as in the
// seed's sample).
type yeastarIVR struct {
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

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// readYeastar reads the body's JSON object of string (or number) values.
func readYeastar(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		writeYeastarError(w, yeastarBadParam, "reading the body: "+err.Error())
		return nil, false
	}
	out := map[string]string{}
	if len(bytes.TrimSpace(data)) == 0 {
		return out, true // "sending no parameter means query all"
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		writeYeastarError(w, yeastarBadParam, "malformed JSON: "+err.Error())
		return nil, false
	}
	for k, v := range raw {
		switch x := v.(type) {
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		default:
			writeYeastarError(w, yeastarBadParam, fmt.Sprintf("%s: want a string or a number, got %s", k, jsonKind(v)))
			return nil, false
		}
	}
	return out, true
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// yeastarView turns a stored IVR body into the query's form; ok is false
// for an IVR no number reaches (Yeastar has none).
func yeastarView(body map[string]any) (yeastarIVR, bool) {
	exts, _ := body["extensions"].([]any)
	if len(exts) == 0 {
		return yeastarIVR{}, false
	}
	num, _ := exts[0].(string)
	str := func(k, def string) string {
		switch v := body[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case json.Number:
			return v.String()
		}
		return def
	}
	secs := func(k string, def time.Duration) string {
		d, err := time.ParseDuration(str(k, ""))
		if err != nil {
			d = def
		}
		return strconv.Itoa(int(d / time.Second))
	}
	v := yeastarIVR{IVRNumber: num, IVRName: str("name", str("id", num)), Prompt: str("prompt", "[Default]"),
		PromptRepeat: str("prompt_repeat", "3"), ResponseTimeout: secs("response_timeout", 5*time.Second),
		DigitTimeout: secs("digit_timeout", 3*time.Second), DialExt: onOff(body["direct_dial"] == true),
		DialToCheckVoicemail: onOff(hasVMCheck(body))}
	if d, ok := body["dial_out"].(map[string]any); ok {
		v.DialOutboundRoutes = "on"
		v.SelectedRouters, _ = d["trunk"].(string)
	} else {
		v.DialOutboundRoutes = "off"
	}
	return v, true
}

func (s *Server) yeastarQuery(w http.ResponseWriter, r *http.Request) {
	in, ok := readYeastar(w, r)
	if !ok {
		return
	}
	for k := range in {
		if k != "ivrid" {
			writeYeastarError(w, yeastarBadParam, fmt.Sprintf("unknown parameter %q (query takes ivrid)", k))
			return
		}
	}
	var want []string
	if in["ivrid"] != "" {
		for _, id := range strings.Split(in["ivrid"], ",") {
			want = append(want, strings.TrimSpace(id))
		}
	}
	all, err := s.st.List(r.Context(), store.IVRs)
	if err != nil {
		s.log.Error("yeastar query", "err", err)
		writeYeastarError(w, yeastarInternalCode, "internal error")
		return
	}
	out := []yeastarIVR{}
	for _, res := range all {
		v, ok := yeastarView(res.Body)
		if ok && (want == nil || slices.Contains(want, v.IVRNumber)) {
			out = append(out, v)
		}
	}
	if want != nil && len(out) == 0 {
		writeYeastarError(w, yeastarNotFound, fmt.Sprintf("no IVR has number %s", in["ivrid"]))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "Success", "ivr": out})
}

// yeastarRanges are the seed's ranges for the numeric fields.
var yeastarRanges = map[string][2]int{"promptrepeat": {1, 5}, "responsetimeout": {1, 10}, "digittimeout": {1, 10}}

func (s *Server) yeastarUpdate(w http.ResponseWriter, r *http.Request) {
	in, ok := readYeastar(w, r)
	if !ok {
		return
	}
	if in["ivrid"] == "" {
		writeYeastarError(w, yeastarBadParam, "ivrid is required (the IVR's number)")
		return
	}
	patch := map[string]any{}
	for k, v := range in {
		switch k {
		case "ivrid":
		case "ivrname":
			patch["name"] = v
		case "ivrnumber":
			if v == "" || strings.Trim(v, "0123456789*#+") != "" {
				writeYeastarError(w, yeastarBadParam, fmt.Sprintf("ivrnumber %q: want a dialable number", v))
				return
			}
		case "promptrepeat", "responsetimeout", "digittimeout":
			n, err := strconv.Atoi(v)
			rg := yeastarRanges[k]
			if err != nil || n < rg[0] || n > rg[1] {
				writeYeastarError(w, yeastarBadParam, fmt.Sprintf("%s %q: want %d-%d", k, v, rg[0], rg[1]))
				return
			}
			switch k {
			case "promptrepeat":
				patch["prompt_repeat"] = json.Number(v)
			case "responsetimeout":
				patch["response_timeout"] = fmt.Sprintf("%ds", n)
			default:
				patch["digit_timeout"] = fmt.Sprintf("%ds", n)
			}
		case "dialext":
			if v != "on" && v != "off" {
				writeYeastarError(w, yeastarBadParam, fmt.Sprintf("dialext %q: want on or off", v))
				return
			}
			patch["direct_dial"] = v == "on"
		case "dialtocheckvoicemail":
			if v != "on" && v != "off" {
				writeYeastarError(w, yeastarBadParam, fmt.Sprintf("dialtocheckvoicemail %q: want on or off", v))
				return
			}
		default:
			writeYeastarError(w, yeastarBadParam, fmt.Sprintf("unknown parameter %q", k))
			return
		}
	}
	// Applied like a native PATCH: re-read and re-applied if another
	// writer got in between, validated as a whole configuration.
	for attempt := 0; ; attempt++ {
		res, found, err := s.ivrByNumber(r, in["ivrid"])
		if err != nil {
			s.log.Error("yeastar update", "err", err)
			writeYeastarError(w, yeastarInternalCode, "internal error")
			return
		}
		if !found {
			writeYeastarError(w, yeastarNotFound, fmt.Sprintf("no IVR has number %s", in["ivrid"]))
			return
		}
		body := mergePatch(res.Body, patch)
		if v, ok := in["dialtocheckvoicemail"]; ok {
			if err := setVMCheck(body, v == "on"); err != nil {
				writeYeastarError(w, yeastarBadParam, err.Error())
				return
			}
		}
		if n, ok := in["ivrnumber"]; ok {
			exts, _ := body["extensions"].([]any)
			for i, e := range exts {
				if e == any(in["ivrid"]) {
					exts[i] = n
				}
			}
		}
		_, err = s.st.Put(r.Context(), who(r), store.IVRs, res.ID, body, res.Version)
		if errors.Is(err, store.ErrConflict) && attempt < 10 {
			continue
		}
		var verr *store.ValidationError
		switch {
		case errors.As(err, &verr):
			var msgs []string
			for _, p := range verr.Problems {
				if !p.Warning {
					msgs = append(msgs, p.String())
				}
			}
			writeYeastarError(w, yeastarBadParam, strings.Join(msgs, "; "))
		case err != nil:
			s.log.Error("yeastar update", "err", err)
			writeYeastarError(w, yeastarInternalCode, "internal error")
		default:
			writeJSON(w, http.StatusOK, map[string]any{"status": "Success"})
		}
		return
	}
}

// ivrByNumber finds the IVR a number reaches.
func (s *Server) ivrByNumber(r *http.Request, number string) (store.Resource, bool, error) {
	all, err := s.st.List(r.Context(), store.IVRs)
	if err != nil {
		return store.Resource{}, false, err
	}
	for _, res := range all {
		exts, _ := res.Body["extensions"].([]any)
		if slices.Contains(exts, any(number)) {
			return res, true, nil
		}
	}
	return store.Resource{}, false, nil
}
