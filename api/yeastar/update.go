package yeastar

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// ranges are the seed's ranges for the numeric fields.
var ranges = map[string][2]int{"promptrepeat": {1, 5}, "responsetimeout": {1, 10}, "digittimeout": {1, 10}}

func numberOf(field string, v *value) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(string(*v)))
	rg := ranges[field]
	if err != nil || n < rg[0] || n > rg[1] {
		return 0, fail(ErrIVRConfig, "%s %q: want %d-%d", field, string(*v), rg[0], rg[1])
	}
	return n, nil
}

func onOffValue(field string, v *value) (bool, error) {
	switch *v {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, fail(ErrIVRConfig, "%s %q: want on or off", field, string(*v))
}

// readOnly checks a field of the query's answer that update does not
// change: accepted when it is what the query shows.
func readOnly(field string, v *value, current string) error {
	if v != nil && string(*v) != current {
		return fail(ErrIVRConfig, "%s is read-only through this API (it is %q here); change it with ivrd's own API", field, current)
	}
	return nil
}

// apply makes the request's changes on m, reached as number.
func (req request) apply(number string, m *edit.IVR) error {
	cur := view(number, m)
	for _, ro := range []struct {
		field   string
		v       *value
		current string
	}{{"prompt", req.Prompt, cur.Prompt}, {"dialoutboundroutes", req.DialOutboundRoutes, cur.DialOutboundRoutes},
		{"selectedrouters", req.SelectedRouters, cur.SelectedRouters}} {
		if err := readOnly(ro.field, ro.v, ro.current); err != nil {
			return err
		}
	}
	if req.IVRName != nil {
		m.Name = string(*req.IVRName)
	}
	var err error
	if req.PromptRepeat != nil {
		if m.PromptRepeat, err = numberOf("promptrepeat", req.PromptRepeat); err != nil {
			return err
		}
	}
	for _, t := range []struct {
		field string
		v     *value
		to    *string
	}{{"responsetimeout", req.ResponseTimeout, &m.ResponseTimeout}, {"digittimeout", req.DigitTimeout, &m.DigitTimeout}} {
		if t.v == nil {
			continue
		}
		n, err := numberOf(t.field, t.v)
		if err != nil {
			return err
		}
		*t.to = fmt.Sprintf("%ds", n)
	}
	if req.DialExt != nil {
		if m.DirectDial, err = onOffValue("dialext", req.DialExt); err != nil {
			return err
		}
	}
	if req.DialToCheckVoicemail != nil {
		on, err := onOffValue("dialtocheckvoicemail", req.DialToCheckVoicemail)
		if err != nil {
			return err
		}
		if err := setVMCheck(m, on); err != nil {
			return err
		}
	}
	if req.IVRNumber != nil && string(*req.IVRNumber) != number {
		n := string(*req.IVRNumber)
		if n == "" || strings.Trim(n, "0123456789*#+") != "" {
			return fail(ErrIVRConfig, "ivrnumber %q: want a dialable number", n)
		}
		m.Extensions[slices.Index(m.Extensions, number)] = n
	}
	return nil
}

func (a *API) update(w http.ResponseWriter, r *http.Request) {
	req, err := read(r)
	if err != nil {
		a.answerError(w, r, err)
		return
	}
	// ivrid names the IVR; a query's answer sent back has no ivrid, and
	// its ivrnumber names it.
	id := req.IVRID
	if id == nil || *id == "" {
		id = req.IVRNumber
	}
	if id == nil || strings.TrimSpace(string(*id)) == "" {
		WriteError(w, ErrBlank, "ivrid is required (the IVR's number)")
		return
	}
	num := strings.TrimSpace(string(*id))
	ivrs, err := edit.List[edit.IVR](r.Context(), a.st, store.IVRs)
	if err != nil {
		a.answerError(w, r, err)
		return
	}
	it := byNumber(ivrs, num)
	if it == nil {
		WriteError(w, ErrNoIVR, fmt.Sprintf("no IVR has number %s", num))
		return
	}
	// Applied to the IVR as stored: re-read and re-applied if another
	// writer got in between, validated as a whole configuration.
	_, err = edit.Update(r.Context(), a.st, a.who(r), store.IVRs, it.ID, 0, func(m *edit.IVR) error {
		if !slices.Contains(m.Extensions, num) {
			return fail(ErrNoIVR, "no IVR has number %s", num)
		}
		return req.apply(num, m)
	})
	if err != nil {
		a.answerError(w, r, err)
		return
	}
	writeJSON(w, success{Status: "Success"})
}

// Yeastar's dialtocheckvoicemail lets callers of an IVR check their
// voicemail from it. ivrd's form of it is the * key leading to
// {voicemail_check: "*"} (box number, then PIN): on adds that key, off
// removes it, and the query shows on when it is there.
const vmCheckKey = "*"

func hasVMCheck(m *edit.IVR) bool {
	d := m.Keys[vmCheckKey]
	return d != nil && d.Kind() == ivr.KindVoicemailCheck && d.Target() == "*"
}

func setVMCheck(m *edit.IVR, on bool) error {
	if !on {
		if hasVMCheck(m) {
			delete(m.Keys, vmCheckKey)
		}
		return nil
	}
	if m.Keys == nil {
		m.Keys = map[string]*edit.Destination{}
	}
	if cur, taken := m.Keys[vmCheckKey]; taken && cur != nil && !hasVMCheck(m) {
		return fail(ErrIVRConfig, "dialtocheckvoicemail: ivrd checks voicemail on the * key, which this IVR already uses for something else")
	}
	m.Keys[vmCheckKey] = &edit.Destination{VoicemailCheck: edit.Str("*")}
	return nil
}
