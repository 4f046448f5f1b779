package ivr

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// VoicemailBox (ivrd addition) is the settings of a voicemail box that
// its owner checks by phone: the box of an extension (box: "1001") or of
// a ring group (box: sales). Boxes without an entry still take messages
// ({voicemail: "1001"} needs only the extension); an entry adds the PIN,
// greeting, message waiting lamps and the lockout.
type VoicemailBox struct {
	Box string `yaml:"box"`
	// PIN is 4-12 digits, or its hash as the store keeps it
	// ("sha256:" + hex): the store hashes a PIN written in digits and
	// the API never returns it.
	PIN string `yaml:"pin"`
	// Greeting is the prompt callers hear before the beep; default: the
	// greeting the owner recorded by phone, else voicemail-BOX, else
	// voicemail-default.
	Greeting string `yaml:"greeting"`
	// Notify are the extensions whose registered phones get message
	// waiting NOTIFYs; default: the box's own extension, or a group's
	// extension members.
	Notify []string `yaml:"notify"`
	// MaxAttempts is how many PINs a call may try (default 3).
	MaxAttempts int `yaml:"max_attempts"`
	// LockoutAfter failed PINs in a row (across calls) lock the box for
	// Lockout (defaults 5 and 10m); a right PIN resets the count.
	LockoutAfter int      `yaml:"lockout_after"`
	Lockout      Duration `yaml:"lockout"`
}

// Voicemail box defaults.
const (
	DefaultPINAttempts  = 3
	DefaultLockoutAfter = 5
	DefaultLockout      = 10 * time.Minute
	// AnyBox as the target of voicemail_check asks the caller for the
	// box number first.
	AnyBox = "*"
)

// VoicemailBoxByID finds a box's settings.
func (c *Config) VoicemailBoxByID(box string) *VoicemailBox {
	for i := range c.VoicemailBoxes {
		if c.VoicemailBoxes[i].Box == box {
			return &c.VoicemailBoxes[i]
		}
	}
	return nil
}

// IsVoicemailBox: messages can be left for box (an extension, a group or
// a voicemail_boxes entry).
func (c *Config) IsVoicemailBox(box string) bool {
	return c.ExtensionByNumber(box) != nil || c.GroupByID(box) != nil || c.VoicemailBoxByID(box) != nil
}

// MWIExtensions are the extensions whose phones show box's message
// waiting lamp.
func (c *Config) MWIExtensions(box string) []string {
	if b := c.VoicemailBoxByID(box); b != nil && len(b.Notify) > 0 {
		return b.Notify
	}
	if c.ExtensionByNumber(box) != nil {
		return []string{box}
	}
	var out []string
	if g := c.GroupByID(box); g != nil {
		for _, m := range g.Members {
			if !IsURIMember(m) && c.ExtensionByNumber(m) != nil {
				out = append(out, m)
			}
		}
	}
	return out
}

func (c *Config) boxDefaults() {
	for i := range c.VoicemailBoxes {
		b := &c.VoicemailBoxes[i]
		if b.MaxAttempts == 0 {
			b.MaxAttempts = DefaultPINAttempts
		}
		if b.LockoutAfter == 0 {
			b.LockoutAfter = DefaultLockoutAfter
		}
		if b.Lockout == 0 {
			b.Lockout = Duration(DefaultLockout)
		}
	}
}

const pinHashPrefix = "sha256:"

// HashPIN is how a PIN is stored: SHA-256 over the box and the PIN, so
// equal PINs of two boxes differ. (A 4-digit PIN is found from its hash
// in 10,000 tries whatever the hash: the protection is that the hash is
// never shown, and the lockout.) Anything but 4-12 digits (a PIN already
// hashed, or one validate will refuse) is returned as is.
func HashPIN(box, pin string) string {
	if strings.HasPrefix(pin, pinHashPrefix) || !validPIN(pin) {
		return pin
	}
	sum := sha256.Sum256([]byte("ivrd-voicemail-pin\x00" + box + "\x00" + pin))
	return pinHashPrefix + hex.EncodeToString(sum[:])
}

// CheckPIN compares what the caller keyed with the stored PIN (hashed or,
// in a file not yet imported, digits), in constant time.
func (b *VoicemailBox) CheckPIN(entered string) bool {
	if b == nil || b.PIN == "" || entered == "" {
		return false
	}
	want, got := HashPIN(b.Box, b.PIN), HashPIN(b.Box, entered)
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func validPIN(p string) bool {
	if h, ok := strings.CutPrefix(p, pinHashPrefix); ok {
		return isHex(h, 64)
	}
	return len(p) >= 4 && len(p) <= 12 && isDialNumber(p)
}

func (v *validator) voicemailBoxes() {
	seen := map[string]bool{}
	for i, b := range v.c.VoicemailBoxes {
		path := fmt.Sprintf("voicemail_boxes[%s]", nameOr(b.Box, i))
		switch {
		case b.Box == "":
			v.errf(path, "box is required")
		case seen[b.Box]:
			v.errf(path, "duplicate voicemail box %q", b.Box)
		case b.Box == AnyBox || !dialledName(b.Box):
			v.errf(path, "box %q: want an extension number or a group id", b.Box)
		}
		seen[b.Box] = true
		if b.PIN == "" {
			v.warnf(path+".pin", "no PIN: the box takes messages but nobody can check it by phone")
		} else if !validPIN(b.PIN) {
			v.errf(path+".pin", "want 4-12 digits")
		}
		v.prompt(path+".greeting", b.Greeting)
		for j, n := range b.Notify {
			if v.c.ExtensionByNumber(n) == nil {
				v.errf(fmt.Sprintf("%s.notify[%d]", path, j), "unknown extension %q", n)
			}
		}
		if b.MaxAttempts < 1 || b.MaxAttempts > 10 {
			v.errf(path+".max_attempts", "%d is out of range 1-10", b.MaxAttempts)
		}
		if b.LockoutAfter < 1 || b.LockoutAfter > 100 {
			v.errf(path+".lockout_after", "%d is out of range 1-100", b.LockoutAfter)
		}
		if d := b.Lockout.D(); d < time.Second || d > 24*time.Hour {
			v.errf(path+".lockout", "%v is out of range 1s-24h", d)
		}
	}
}

// voicemailCheckDest checks {voicemail_check: BOX}.
func (v *validator) voicemailCheckDest(path string, d *Destination) {
	if d.Target == AnyBox {
		return
	}
	b := v.c.VoicemailBoxByID(d.Target)
	switch {
	case b == nil:
		v.errf(path, "unknown voicemail box %q: voicemail_check needs a voicemail_boxes entry with a pin (or \"*\" to ask for the box)", d.Target)
	case b.PIN == "":
		v.errf(path, "voicemail box %q has no pin: nobody could log in", d.Target)
	}
}

// MethodVoicemailCheck is how a voicemail_check hand-off shows in traces:
// the call stays with ivrd (not a transfer: method of the file).
const MethodVoicemailCheck TransferMethod = "voicemail_check"

// ownMethod is how the hand-offs that ignore the menu's transfer go: a
// group forks or hunts, which only a B2BUA can (bridged); a voicemail
// check keeps the call.
var ownMethod = map[Kind]TransferMethod{KindGroup: TransferBridge, KindVoicemailCheck: MethodVoicemailCheck, KindConference: MethodConference, KindQueue: MethodQueue}
