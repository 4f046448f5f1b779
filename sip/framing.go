package sip

import (
	"bytes"
	"strconv"
	"strings"
)

// This file reads just enough of raw SIP bytes to frame messages (where
// a head ends, how long the body is) and to answer a request sipgo would
// drop unanswered. Everything here reads network input: it must accept
// any bytes without panicking (FuzzScanHead, FuzzStreamFramer).

// maxHead bounds a message head we look at (sipgo refuses longer
// messages anyway).
const maxHead = 65535

var headTerminator = []byte("\r\n\r\n")

// headEnd returns the offset just past the blank line that ends a
// message's head, or -1 when data holds no complete head.
func headEnd(data []byte) int {
	i := bytes.Index(data, headTerminator)
	if i < 0 {
		return -1
	}
	return i + len(headTerminator)
}

// headInfo is what scanHead found in a message head.
type headInfo struct {
	startLine string
	// contentLength is the Content-Length value, -1 without one.
	contentLength int
	// badLength: a Content-Length that is not a number, or two that
	// disagree.
	badLength bool
	// reply are the raw header lines a response copies (Via, From, To,
	// Call-ID, CSeq), in order, folded continuations included.
	reply      []string
	has        map[string]bool // which of them came, by full lower-case name
	toTagged   bool
	cseqFound  bool
	cseqMethod string
	ack        bool // CSeq method ACK: never answered
	// authorization: the request carries credentials.
	authorization bool
}

// compactNames maps compact header names to full ones (RFC 3261 7.3.3).
var compactNames = map[string]string{"v": "via", "f": "from", "t": "to", "i": "call-id", "l": "content-length"}

// replyHeaders are the headers a response copies from its request
// (RFC 3261 8.2.6.2), by full and compact name.
var replyHeaders = map[string]bool{"via": true, "v": true, "from": true, "f": true, "to": true, "t": true,
	"call-id": true, "i": true, "cseq": true}

// scanHead reads the start line and headers of head (up to the blank
// line, which need not be there).
func scanHead(head []byte) headInfo {
	info := headInfo{contentLength: -1, has: map[string]bool{}}
	lines := strings.Split(string(head), "\r\n")
	info.startLine = lines[0]
	last := -1 // index in info.reply of the header a folded line continues
	for _, line := range lines[1:] {
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last >= 0 {
				info.reply[last] += "\r\n" + line
			}
			continue
		}
		last = -1
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		full := name
		if f, ok := compactNames[name]; ok {
			full = f
		}
		switch full {
		case "content-length":
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 || (info.contentLength >= 0 && n != info.contentLength) {
				info.badLength = true
				continue
			}
			info.contentLength = n
		case "to":
			info.toTagged = hasTagParam(value)
		case "cseq":
			info.cseqFound = true
			_, method, _ := strings.Cut(value, " ")
			info.cseqMethod = strings.ToUpper(strings.TrimSpace(method))
			info.ack = info.cseqMethod == "ACK"
		case "authorization":
			info.authorization = true
		}
		if replyHeaders[name] {
			info.reply = append(info.reply, line)
			info.has[full] = true
			last = len(info.reply) - 1
		}
	}
	return info
}

// hasTagParam reports whether a From/To value carries a tag parameter
// outside its <URI>.
func hasTagParam(value string) bool {
	if i := strings.LastIndexByte(value, '>'); i >= 0 {
		value = value[i+1:]
	}
	for _, p := range strings.Split(value, ";") {
		k, _, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "tag") {
			return true
		}
	}
	return false
}

// isRequestLine tells a request's start line from a response's.
func isRequestLine(line string) bool { return !strings.HasPrefix(line, "SIP/") }

// datagramFault says what is wrong with the framing of a request that
// came alone in a datagram, which sipgo would drop unanswered: RFC 3261
// 18.3 wants 400 for a Content-Length larger than the body, and one that
// is not a number leaves the body undefined. "" when nothing is.
func datagramFault(data []byte) (headInfo, string) {
	end := headEnd(data)
	if end < 0 || end > maxHead || bytes.HasPrefix(data, []byte("SIP/")) {
		return headInfo{}, "" // no head, or a response: sipgo's to judge
	}
	info := scanHead(data[:end])
	if !isRequestLine(info.startLine) {
		return info, ""
	}
	switch {
	case info.badLength:
		return info, "Content-Length is not a number"
	case info.contentLength > len(data)-end:
		return info, "Content-Length " + strconv.Itoa(info.contentLength) + " is more than the " +
			strconv.Itoa(len(data)-end) + "-byte body"
	}
	return info, ""
}

// Where a streamFramer is in the stream.
const (
	betweenMessages = iota
	inHead
	inBody
)

// streamFramer follows message boundaries in a TCP byte stream (RFC 3261
// 18.3: a head, then Content-Length bytes of body) without parsing more
// than that, so that a connection can be told to be between messages
// (idle) or part way into one.
type streamFramer struct {
	state    int
	head     []byte // the head so far, up to maxHead
	overflow bool   // the head outgrew maxHead: its length is unknown
	bodyLeft int
	started  int // messages begun so far
}

// inMessage reports whether the bytes seen so far end part way into a
// message.
func (f *streamFramer) inMessage() bool { return f.state != betweenMessages }

// feed follows data, the next bytes of the stream.
func (f *streamFramer) feed(data []byte) {
	for len(data) > 0 {
		switch f.state {
		case betweenMessages:
			// CRLFs between messages are keep-alives (RFC 5626 3.5.1).
			i := 0
			for i < len(data) && (data[i] == '\r' || data[i] == '\n') {
				i++
			}
			data = data[i:]
			if len(data) > 0 {
				f.state, f.head, f.overflow = inHead, f.head[:0], false
				f.started++
			}
		case inHead:
			from := max(0, len(f.head)-len(headTerminator)+1)
			f.head = append(f.head, data...)
			end := bytes.Index(f.head[from:], headTerminator)
			if end < 0 {
				if len(f.head) > maxHead {
					// Keep only what may begin the terminator.
					f.head = append(f.head[:0], f.head[len(f.head)-len(headTerminator)+1:]...)
					f.overflow = true
				}
				return
			}
			end += from + len(headTerminator)
			used := len(data) - (len(f.head) - end)
			data = data[used:]
			f.bodyLeft = 0
			if !f.overflow {
				f.bodyLeft = max(0, scanHead(f.head[:end]).contentLength)
			}
			f.head = f.head[:0]
			f.state = inBody
			if f.bodyLeft == 0 {
				f.state = betweenMessages
			}
		case inBody:
			n := min(len(data), f.bodyLeft)
			f.bodyLeft -= n
			data = data[n:]
			if f.bodyLeft == 0 {
				f.state = betweenMessages
			}
		}
	}
}
