package main

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// sipMessage is what a caller reads of a SIP message from the server:
// enough to follow one INVITE dialog and to answer its requests.
type sipMessage struct {
	Method     string // a request's method ("" for a response)
	Status     int    // a response's status code (0 for a request)
	Reason     string // a response's reason phrase
	Vias       []string
	From, To   string
	CallID     string
	CSeq       string // the whole CSeq value: "2 BYE"
	CSeqMethod string
	Contact    string // its URI, without the angle brackets
	Body       []byte
}

// compactHeaders maps RFC 3261's one-letter header names to the long ones.
func longHeaderName(name string) string {
	switch strings.ToLower(name) {
	case "v":
		return "via"
	case "f":
		return "from"
	case "t":
		return "to"
	case "i":
		return "call-id"
	case "m":
		return "contact"
	case "l":
		return "content-length"
	}
	return strings.ToLower(name)
}

// parseSIP reads one message as a WebSocket frame carries it (RFC 7118:
// one message a frame, so Content-Length is checked, not needed).
func parseSIP(b []byte) (sipMessage, error) {
	var m sipMessage
	head, body, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		return m, errors.New("sip: no blank line after the headers")
	}
	lines := strings.Split(string(head), "\r\n")
	if err := m.parseStartLine(lines[0]); err != nil {
		return m, err
	}
	length := -1
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return m, fmt.Errorf("sip: header line without a colon: %.40q", line)
		}
		value = strings.TrimSpace(value)
		switch longHeaderName(strings.TrimSpace(name)) {
		case "via":
			m.Vias = append(m.Vias, value)
		case "from":
			m.From = value
		case "to":
			m.To = value
		case "call-id":
			m.CallID = value
		case "cseq":
			m.CSeq = value
			_, m.CSeqMethod, _ = strings.Cut(value, " ")
			m.CSeqMethod = strings.TrimSpace(m.CSeqMethod)
		case "contact":
			m.Contact = contactURI(value)
		case "content-length":
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return m, fmt.Errorf("sip: bad Content-Length %.20q", value)
			}
			length = n
		}
	}
	if length >= 0 && length != len(body) {
		return m, fmt.Errorf("sip: Content-Length %d but a body of %d bytes", length, len(body))
	}
	if m.CallID == "" || m.CSeqMethod == "" {
		return m, errors.New("sip: no Call-ID or CSeq")
	}
	m.Body = body
	return m, nil
}

func (m *sipMessage) parseStartLine(line string) error {
	if rest, ok := strings.CutPrefix(line, "SIP/2.0 "); ok {
		code, reason, _ := strings.Cut(rest, " ")
		n, err := strconv.Atoi(code)
		if err != nil || n < 100 || n > 699 {
			return fmt.Errorf("sip: bad status line %.40q", line)
		}
		m.Status, m.Reason = n, reason
		return nil
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[2] != "SIP/2.0" {
		return fmt.Errorf("sip: bad start line %.40q", line)
	}
	m.Method = f[0]
	return nil
}

// contactURI is the URI of a Contact value: inside <> when there are
// some, else up to the first parameter.
func contactURI(v string) string {
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
		return ""
	}
	u, _, _ := strings.Cut(v, ";")
	return strings.TrimSpace(u)
}

// tagOf is the tag parameter of a From or To value ("" when none).
func tagOf(v string) string {
	for _, p := range strings.Split(v, ";")[1:] {
		if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "tag") {
			return val
		}
	}
	return ""
}

// request is a request of the caller's dialog, ready to send.
type request struct {
	Method, URI     string
	Via, From, To   string
	CallID, Contact string
	CSeq            int
	Body            []byte
}

func (r request) bytes() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n",
		r.Method, r.URI, r.Via, r.From, r.To, r.CallID, r.CSeq, r.Method)
	if r.Contact != "" {
		fmt.Fprintf(&b, "Contact: <%s>\r\n", r.Contact)
	}
	b.WriteString("User-Agent: webrtcload\r\n")
	if len(r.Body) > 0 {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(r.Body))
	b.Write(r.Body)
	return []byte(b.String())
}

// response answers a request of the server's with a status and no body.
func response(req sipMessage, status int, reason string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", status, reason)
	for _, v := range req.Vias {
		fmt.Fprintf(&b, "Via: %s\r\n", v)
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n", req.From, req.To, req.CallID, req.CSeq)
	return []byte(b.String())
}
