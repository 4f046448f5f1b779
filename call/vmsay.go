package call

import (
	"fmt"
	"time"

	"github.com/ivrd/ivrd/store"
)

// Sayer turns numbers into prompt names: the fragments sentences like
// "you have 3 new messages" are built from. fragments speaks them with
// the bundled num-* prompts; a speech synthesiser can take its place
// without the voicemail code changing.
type Sayer interface {
	Number(n int) []string    // 0-999 as words, larger numbers digit by digit
	Digits(s string) []string // each digit (a caller's number); other characters are skipped
}

type fragments struct{}

func (fragments) Number(n int) []string {
	switch {
	case n < 0:
		return fragments{}.Digits(fmt.Sprint(-n))
	case n <= 20:
		return []string{fmt.Sprintf("num-%d", n)}
	case n < 100:
		out := []string{fmt.Sprintf("num-%d", n/10*10)}
		if n%10 != 0 {
			out = append(out, fmt.Sprintf("num-%d", n%10))
		}
		return out
	case n < 1000:
		out := []string{fmt.Sprintf("num-%d", n/100), "num-hundred"}
		if n%100 != 0 {
			out = append(out, fragments{}.Number(n%100)...)
		}
		return out
	}
	return fragments{}.Digits(fmt.Sprint(n))
}

func (fragments) Digits(s string) []string {
	var out []string
	for _, c := range s {
		if c >= '0' && c <= '9' {
			out = append(out, fmt.Sprintf("num-%c", c))
		}
	}
	return out
}

// countsSentence: "You have one new message and two old messages",
// "You have no messages".
func countsSentence(say Sayer, newMsgs, oldMsgs int) []string {
	out := []string{"vm-youhave"}
	if newMsgs == 0 && oldMsgs == 0 {
		return append(out, "vm-no", "vm-messages")
	}
	if newMsgs > 0 {
		out = append(append(out, say.Number(newMsgs)...), "vm-new", messageWord(newMsgs))
	}
	if newMsgs > 0 && oldMsgs > 0 {
		out = append(out, "vm-and")
	}
	if oldMsgs > 0 {
		out = append(append(out, say.Number(oldMsgs)...), "vm-old", messageWord(oldMsgs))
	}
	return out
}

func messageWord(n int) string {
	if n == 1 {
		return "vm-message"
	}
	return "vm-messages"
}

// envelope is what is said before a message, as VoiceMailMain does:
// "Message 1. From 5 5 5 1 2 3 4. Received at 14 30. Length 12 seconds."
// The time is the server's local time.
func envelope(say Sayer, n int, m store.Message) []string {
	out := append([]string{"vm-msgnum"}, say.Number(n)...)
	if from := say.Digits(m.Caller); len(from) > 0 {
		out = append(append(out, "vm-from"), from...)
	} else {
		out = append(out, "vm-from", "vm-unknown-caller")
	}
	t := m.Time.Local()
	out = append(append(out, "vm-received"), say.Number(t.Hour())...)
	switch {
	case t.Minute() == 0:
		out = append(out, "vm-oclock")
	case t.Minute() < 10:
		out = append(append(out, "vm-oh"), say.Number(t.Minute())...)
	default:
		out = append(out, say.Number(t.Minute())...)
	}
	secs := int((m.Duration + time.Second/2) / time.Second)
	return append(append(append(out, "vm-length"), say.Number(secs)...), "vm-seconds")
}
