package dtmf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ParseInfo reads the digit in a SIP INFO body: application/dtmf-relay
// ("Signal=5\r\nDuration=160") or application/dtmf (the key alone).
func ParseInfo(contentType string, body []byte) (byte, error) {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	switch ct {
	case "application/dtmf-relay":
		return parseRelay(string(body))
	case "application/dtmf":
		return parseSignal(strings.TrimSpace(string(body)))
	}
	return 0, fmt.Errorf("dtmf info: unsupported content type %q", contentType)
}

func parseRelay(body string) (byte, error) {
	var key byte
	found := false
	for _, line := range strings.FieldsFunc(body, func(r rune) bool { return r == '\n' || r == '\r' }) {
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			if strings.TrimSpace(line) == "" {
				continue
			}
			return 0, fmt.Errorf("dtmf-relay: line %q is not name=value", clip(line))
		}
		name, val = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val)
		switch name {
		case "signal":
			k, err := parseSignal(val)
			if err != nil {
				return 0, fmt.Errorf("dtmf-relay: %w", err)
			}
			key, found = k, true
		case "duration":
			if d, err := strconv.Atoi(val); err != nil || d < 0 {
				return 0, fmt.Errorf("dtmf-relay: bad Duration %q", clip(val))
			}
		}
	}
	if !found {
		return 0, errors.New("dtmf-relay: no Signal line")
	}
	return key, nil
}

// parseSignal accepts a key (0-9 * # A-D, any case) or its event number.
func parseSignal(v string) (byte, error) {
	if len(v) == 1 {
		if k, ok := EventForKey(v[0]); ok {
			return keys[k], nil
		}
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 15 {
		return keys[n], nil
	}
	return 0, fmt.Errorf("bad signal %q", clip(v))
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
