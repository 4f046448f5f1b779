// Package bot is a reference media-stream bot, a template for any
// language: it speaks the Twilio Media Streams messages ivrd sends and
// answers them.
//
// It echoes: every media message it hears goes straight back, so the
// caller hears themselves (about 40 ms late). Every MarkEvery frames it
// sends a mark ("echo-1", "echo-2", ...) and notes the marks ivrd sends
// back once the audio before them has played. The caller's keys steer it:
//
//	5  play a 5 s 1000 Hz tone, then a mark "burst"
//	*  clear: drop the audio queued (barge-in)
//	#  end the stream: the call goes to extension 1001
//
// It imports no ivrd package: the standard library and
// github.com/coder/websocket only.
package bot

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log"
	"math"
	"net/http"
	"strconv"
	"sync"

	"github.com/coder/websocket"
)

// MarkEvery is how many echoed frames go between two marks.
const MarkEvery = 50

// Bot serves media streams (an http.Handler).
type Bot struct {
	mu       sync.Mutex
	started  []Start
	echoed   int
	marks    []string // names ivrd sent back
	digits   string
	stops    int
	messages int
}

// Start is what a start message said.
type Start struct {
	StreamSid, CallSid string
	Tracks             []string
	Parameters         map[string]string
	Encoding           string
	SampleRate         int
}

// New makes a bot.
func New() *Bot { return &Bot{} }

// message is any message ivrd sends; only the parts of its event are set.
type message struct {
	Event     string `json:"event"`
	StreamSid string `json:"streamSid"`
	Start     *struct {
		StreamSid        string            `json:"streamSid"`
		CallSid          string            `json:"callSid"`
		Tracks           []string          `json:"tracks"`
		CustomParameters map[string]string `json:"customParameters"`
		MediaFormat      struct {
			Encoding   string `json:"encoding"`
			SampleRate int    `json:"sampleRate"`
		} `json:"mediaFormat"`
	} `json:"start"`
	Media *struct {
		Track   string `json:"track"`
		Payload string `json:"payload"`
	} `json:"media"`
	Mark *struct {
		Name string `json:"name"`
	} `json:"mark"`
	DTMF *struct {
		Digit string `json:"digit"`
	} `json:"dtmf"`
}

// reply is what the bot sends.
type reply struct {
	Event       string            `json:"event"`
	StreamSid   string            `json:"streamSid"`
	Media       *replyMedia       `json:"media,omitempty"`
	Mark        *replyMark        `json:"mark,omitempty"`
	Destination map[string]string `json:"destination,omitempty"`
}

type replyMedia struct {
	Payload string `json:"payload"`
}

type replyMark struct {
	Name string `json:"name"`
}

// ServeHTTP takes one stream until ivrd stops it or the caller hangs up.
func (b *Bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer func() { _ = c.CloseNow() }()
	c.SetReadLimit(1 << 20)
	ctx := r.Context()
	var sid, encoding string
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var m message
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		b.count()
		var out []reply
		switch m.Event {
		case "start":
			if m.Start == nil {
				continue
			}
			sid, encoding = m.Start.StreamSid, m.Start.MediaFormat.Encoding
			b.noteStart(m)
		case "media":
			if m.Media == nil || m.Media.Track == "outbound" {
				continue // echo the caller, not what the caller hears
			}
			out = append(out, reply{Event: "media", StreamSid: sid, Media: &replyMedia{Payload: m.Media.Payload}})
			if n := b.echo(); n%MarkEvery == 0 {
				out = append(out, reply{Event: "mark", StreamSid: sid, Mark: &replyMark{Name: "echo-" + strconv.Itoa(n/MarkEvery)}})
			}
		case "mark":
			if m.Mark != nil {
				b.markBack(m.Mark.Name)
			}
		case "dtmf":
			if m.DTMF != nil {
				out = b.key(m.DTMF.Digit, sid, encoding)
			}
		case "stop":
			b.mu.Lock()
			b.stops++
			b.mu.Unlock()
			return
		}
		for _, o := range out {
			if err := send(ctx, c, o); err != nil {
				return
			}
		}
	}
}

// key is what a key the caller pressed makes the bot send.
func (b *Bot) key(digit, sid, encoding string) []reply {
	b.mu.Lock()
	b.digits += digit
	b.mu.Unlock()
	switch digit {
	case "5":
		return []reply{{Event: "media", StreamSid: sid, Media: &replyMedia{Payload: tone(encoding, 1000, 5)}},
			{Event: "mark", StreamSid: sid, Mark: &replyMark{Name: "burst"}}}
	case "*":
		return []reply{{Event: "clear", StreamSid: sid}}
	case "#":
		return []reply{{Event: "end", StreamSid: sid, Destination: map[string]string{"extension": "1001"}}}
	}
	return nil
}

func send(ctx context.Context, c *websocket.Conn, r reply) error {
	data, err := json.Marshal(r)
	if err != nil {
		log.Printf("streambot: %v", err)
		return nil
	}
	return c.Write(ctx, websocket.MessageText, data)
}

// tone is seconds of a sine of freq Hz in the stream's encoding, base64.
func tone(encoding string, freq float64, seconds int) string {
	rate := 8000
	if encoding == "audio/x-l16" {
		rate = 16000
	}
	n := rate * seconds
	var raw []byte
	for i := range n {
		s := int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		if rate == 16000 {
			raw = append(raw, byte(s), byte(uint16(s)>>8))
		} else {
			raw = append(raw, ulaw(s))
		}
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// ulaw encodes one sample as G.711 µ-law.
func ulaw(s int16) byte {
	const bias, clip = 0x84, 32635
	sign := byte(0)
	v := int(s)
	if v < 0 {
		v, sign = -v, 0x80
	}
	v = min(v, clip) + bias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0f
	return ^(sign | byte(exp<<4) | byte(mant))
}

func (b *Bot) count() {
	b.mu.Lock()
	b.messages++
	b.mu.Unlock()
}

func (b *Bot) noteStart(m message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.started = append(b.started, Start{StreamSid: m.Start.StreamSid, CallSid: m.Start.CallSid, Tracks: m.Start.Tracks,
		Parameters: m.Start.CustomParameters, Encoding: m.Start.MediaFormat.Encoding, SampleRate: m.Start.MediaFormat.SampleRate})
}

func (b *Bot) echo() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.echoed++
	return b.echoed
}

func (b *Bot) markBack(name string) {
	b.mu.Lock()
	b.marks = append(b.marks, name)
	b.mu.Unlock()
}

// Stats is what the bot has seen so far.
type Stats struct {
	Started  []Start
	Echoed   int
	Marks    []string // the marks ivrd sent back, in order
	Digits   string
	Stops    int
	Messages int
}

// Stats reads what the bot has seen.
func (b *Bot) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Stats{Started: append([]Start(nil), b.started...), Echoed: b.echoed, Marks: append([]string(nil), b.marks...),
		Digits: b.digits, Stops: b.stops, Messages: b.messages}
}
