package dtmf

import "time"

// Method is how a digit reached us.
type Method uint8

// The methods.
const (
	RFC4733 Method = iota
	Inband
	Info
)

func (m Method) String() string {
	switch m {
	case RFC4733:
		return "rfc4733"
	case Inband:
		return "inband"
	case Info:
		return "info"
	}
	return "unknown"
}

// Digit is one key press.
type Digit struct {
	Key    byte // '0'-'9', '*', '#', 'A'-'D'
	Method Method
	At     time.Duration // since the call's digit stream began
}

// keys maps RFC 4733 event codes 0-15 to keys.
const keys = "0123456789*#ABCD"

// KeyForEvent returns the key of an RFC 4733 event code (0-15).
func KeyForEvent(code byte) (byte, bool) {
	if int(code) < len(keys) {
		return keys[code], true
	}
	return 0, false
}

// EventForKey returns the RFC 4733 event code of a key.
func EventForKey(key byte) (byte, bool) {
	if key >= 'a' && key <= 'd' {
		key -= 'a' - 'A'
	}
	for i := 0; i < len(keys); i++ {
		if keys[i] == key {
			return byte(i), true
		}
	}
	return 0, false
}
