package sip

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ivrd/ivrd/media"
)

// SDES (RFC 4568): SRTP keys carried in SDP a=crypto attributes,
//
//	a=crypto:<tag> <crypto-suite> inline:<key||salt base64>[|<lifetime>][|<MKI>:<length>] [<session-params>]
//
// This file reads and writes them. An error never quotes the key: it
// names the attribute by its tag and suite only, since errors end up in
// logs and in the Warning header of a 488.

// CryptoAttr is one a=crypto attribute we can use.
type CryptoAttr struct {
	Tag   int
	Suite media.SRTPProfile
	key   []byte // master key || master salt
	mki   []byte // the MKI each packet carries, MKI-length bytes (nil: none)
}

// String names the attribute without its key.
func (a CryptoAttr) String() string { return fmt.Sprintf("a=crypto:%d %s", a.Tag, a.Suite) }

// GoString is String: %#v must not print the key either.
func (a CryptoAttr) GoString() string { return a.String() }

// CryptoError is an a=crypto attribute ivrd cannot use: malformed, or
// asking for something it does not do (Unsupported).
type CryptoError struct {
	Attr        string // "a=crypto:1 AES_256_CM_HMAC_SHA1_80": tag and suite, never the key
	Reason      string
	Unsupported bool
}

func (e *CryptoError) Error() string { return e.Attr + ": " + e.Reason }

// CryptoLines are the a=crypto values of an SDP audio stream, as written.
// They hold keys, so they print as a count only.
type CryptoLines []string

// String counts the lines: their keys are never printed.
func (l CryptoLines) String() string { return fmt.Sprintf("%d crypto attributes", len(l)) }

// GoString is String.
func (l CryptoLines) GoString() string { return l.String() }

// suites are the crypto suites ivrd implements, by SDP name.
var suites = map[string]media.SRTPProfile{
	"AES_CM_128_HMAC_SHA1_80": media.AESCM128HMACSHA1_80,
	"AES_CM_128_HMAC_SHA1_32": media.AESCM128HMACSHA1_32,
	"AEAD_AES_128_GCM":        media.AEADAES128GCM,
}

// maxLifetime bounds a key lifetime we read (2^48 packets, RFC 3711).
const maxLifetimeExp = 48

// ParseCrypto reads the value of an a=crypto attribute (what follows
// "a=crypto:").
func ParseCrypto(val string) (CryptoAttr, error) {
	fields := strings.Fields(val)
	name := "a=crypto"
	bad := func(unsupported bool, format string, args ...any) (CryptoAttr, error) {
		return CryptoAttr{}, &CryptoError{Attr: name, Reason: fmt.Sprintf(format, args...), Unsupported: unsupported}
	}
	if len(fields) < 3 {
		if len(fields) >= 1 && isDigits(fields[0], 9) {
			name += ":" + fields[0]
		}
		return bad(false, "want a tag, a crypto suite and key parameters")
	}
	if !isDigits(fields[0], 9) {
		return bad(false, "the tag is not 1 to 9 digits") // not quoted: a garbled line may hold a key there
	}
	tag, _ := strconv.Atoi(fields[0])
	suiteName := fields[1]
	if !isToken(suiteName) {
		name += ":" + fields[0]
		return bad(false, "crypto suite is not a token")
	}
	name = fmt.Sprintf("a=crypto:%d %s", tag, trimForError(suiteName))
	suite, ok := suites[suiteName]
	if !ok {
		return bad(true, "unsupported crypto suite (AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM)")
	}
	a := CryptoAttr{Tag: tag, Suite: suite}
	keyParams := strings.Split(fields[2], ";")
	if len(keyParams) > 1 {
		return bad(true, "more than one key (key lists are not supported)")
	}
	method, info, ok := strings.Cut(keyParams[0], ":")
	if !ok || method != "inline" {
		return bad(true, "key method is not inline")
	}
	keyB64, rest, _ := strings.Cut(info, "|")
	key, err := decodeKey(keyB64)
	if err != nil {
		return bad(false, "key is not base64")
	}
	if len(key) != suite.KeyLen() {
		return bad(false, "key and salt are %d bytes, want %d", len(key), suite.KeyLen())
	}
	a.key = key
	if rest != "" {
		parts := strings.Split(rest, "|")
		if len(parts) > 2 {
			return bad(false, "too many '|' parts after the key")
		}
		for i, p := range parts {
			if strings.Contains(p, ":") {
				if i != len(parts)-1 {
					return bad(false, "the MKI must come last")
				}
				if a.mki, err = parseMKI(p); err != nil {
					return bad(false, "%v", err)
				}
				continue
			}
			if i != 0 {
				return bad(false, "the lifetime must come before the MKI")
			}
			if err := checkLifetime(p); err != nil {
				return bad(false, "%v", err)
			}
		}
	}
	for _, sp := range fields[3:] {
		if err := checkSessionParam(sp); err != nil {
			return bad(true, "%v", err)
		}
	}
	return a, nil
}

// decodeKey reads the base64 key, with or without padding.
func decodeKey(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// checkLifetime reads "2^N" or a decimal count of packets.
func checkLifetime(s string) error {
	if exp, ok := strings.CutPrefix(s, "2^"); ok {
		if n, err := strconv.Atoi(exp); err != nil || !isDigits(exp, 2) || n < 1 || n > maxLifetimeExp {
			return fmt.Errorf("bad key lifetime %q", trimForError(s))
		}
		return nil
	}
	if !isDigits(s, 15) || s == "0" || strings.HasPrefix(s, "0") {
		return fmt.Errorf("bad key lifetime %q", trimForError(s))
	}
	return nil
}

// parseMKI reads "value:length": the MKI is value written big-endian in
// length bytes (1 to 128).
func parseMKI(s string) ([]byte, error) {
	v, l, _ := strings.Cut(s, ":")
	if !isDigits(v, 40) || !isDigits(l, 3) {
		return nil, fmt.Errorf("bad MKI %q", trimForError(s))
	}
	n, _ := strconv.Atoi(l)
	if n < 1 || n > 128 {
		return nil, fmt.Errorf("MKI length %d is not 1 to 128", n)
	}
	value, ok := new(big.Int).SetString(v, 10)
	if !ok || value.BitLen() > 8*n {
		return nil, fmt.Errorf("MKI value does not fit in %d bytes", n)
	}
	return value.FillBytes(make([]byte, n)), nil
}

// checkSessionParam accepts the session parameters that change nothing
// for us and refuses those asking for what we do not do (RFC 4568 6.3).
func checkSessionParam(p string) error {
	name, val, _ := strings.Cut(p, "=")
	switch name {
	case "KDR":
		if val != "0" {
			return fmt.Errorf("key derivation rate %q is not supported", trimForError(val))
		}
	case "WSH", "FEC_ORDER":
		// A replay window hint and the order of FEC and SRTP: ours hold.
	case "UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP", "UNAUTHENTICATED_SRTP":
		return fmt.Errorf("session parameter %s is not supported", name)
	default:
		if strings.HasPrefix(p, "-") {
			return nil // marked as safe to ignore
		}
		return fmt.Errorf("unknown session parameter %q", trimForError(name))
	}
	return nil
}

// formatCrypto writes an a=crypto value for our key.
func formatCrypto(tag int, suite media.SRTPProfile, key []byte) string {
	return fmt.Sprintf("%d %s inline:%s", tag, suite, base64.StdEncoding.EncodeToString(key))
}

func isDigits(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isToken: letters, digits and '_' (crypto suite names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
