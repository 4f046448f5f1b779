package stream

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// MaxMessage bounds a message from the far end (a second of pcm16k
// audio in base64 is about 43 KB).
const MaxMessage = 256 << 10

// Encodings as the start message's mediaFormat names them.
const (
	encodingMulaw = "audio/x-mulaw"
	encodingL16   = "audio/x-l16"
)

// farMessage is a message from the far end. Unknown events are ignored,
// as Twilio does.
type farMessage struct {
	Event string `json:"event"`
	Media *struct {
		Payload string `json:"payload"`
	} `json:"media"`
	Mark *struct {
		Name string `json:"name"`
	} `json:"mark"`
	// Destination (event "end") is an ask answer: where the call goes.
	Destination json.RawMessage `json:"destination"`
}

// maxMarkName bounds a mark's name (it is echoed back).
const maxMarkName = 256

// Errors in the far end's messages.
var (
	ErrBadMessage = errors.New("bad message from the far end")
)

// parseFar reads one message from the far end.
func parseFar(data []byte) (farMessage, error) {
	var m farMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%w: not JSON: %w", ErrBadMessage, err)
	}
	switch m.Event {
	case "media":
		if m.Media == nil {
			return m, fmt.Errorf("%w: media without media.payload", ErrBadMessage)
		}
	case "mark":
		if m.Mark == nil || m.Mark.Name == "" || len(m.Mark.Name) > maxMarkName {
			return m, fmt.Errorf("%w: mark without a name of 1-%d bytes", ErrBadMessage, maxMarkName)
		}
	}
	return m, nil
}

// The messages ivrd sends are built by appending into the writer's
// reused buffer: the same JSON encoding/json would give, without a map
// or a reflection pass per 20 ms frame.

// appendHead starts a message: {"event":E,"sequenceNumber":"N","streamSid":S
func (s *Stream) appendHead(b []byte, event string) []byte {
	s.seq++
	b = append(b, `{"event":"`...)
	b = append(b, event...)
	b = append(b, `","sequenceNumber":"`...)
	b = strconv.AppendUint(b, s.seq, 10)
	b = append(b, `","streamSid":"`...)
	b = append(b, s.sid...)
	return append(b, '"')
}

// appendJSONString appends v as a JSON string.
func appendJSONString(b []byte, v string) []byte {
	q, _ := json.Marshal(v) // a string always marshals
	return append(b, q...)
}

// appendMedia appends a media message; payload is the base64 already
// encoded into the writer's buffer.
func (s *Stream) appendMedia(b []byte, track string, chunk, ms uint64, payload []byte) []byte {
	b = s.appendHead(b, "media")
	b = append(b, `,"media":{"track":"`...)
	b = append(b, track...)
	b = append(b, `","chunk":"`...)
	b = strconv.AppendUint(b, chunk, 10)
	b = append(b, `","timestamp":"`...)
	b = strconv.AppendUint(b, ms, 10)
	b = append(b, `","payload":"`...)
	b = append(b, payload...)
	return append(b, `"}}`...)
}

// startMessage is the start event's body.
type startMessage struct {
	Event          string    `json:"event"`
	SequenceNumber string    `json:"sequenceNumber"`
	StreamSid      string    `json:"streamSid"`
	Start          startBody `json:"start"`
}

type startBody struct {
	StreamSid        string            `json:"streamSid"`
	AccountSid       string            `json:"accountSid"`
	CallSid          string            `json:"callSid"`
	Tracks           []string          `json:"tracks"`
	CustomParameters map[string]string `json:"customParameters"`
	MediaFormat      mediaFormat       `json:"mediaFormat"`
}

type mediaFormat struct {
	Encoding   string `json:"encoding"`
	SampleRate int    `json:"sampleRate"`
	Channels   int    `json:"channels"`
}

// start is the start message (once a stream, so encoding/json is fine).
func (s *Stream) start() ([]byte, error) {
	s.seq++
	tracks := []string{"inbound"}
	if s.req.BothTracks {
		tracks = append(tracks, "outbound")
	}
	params := s.req.Parameters
	if params == nil {
		params = map[string]string{}
	}
	f := mediaFormat{Encoding: encodingMulaw, SampleRate: 8000, Channels: 1}
	if s.req.Wide {
		f = mediaFormat{Encoding: encodingL16, SampleRate: 16000, Channels: 1}
	}
	return json.Marshal(startMessage{Event: "start", SequenceNumber: strconv.FormatUint(s.seq, 10), StreamSid: s.sid,
		Start: startBody{StreamSid: s.sid, AccountSid: s.req.Node, CallSid: s.req.CallID, Tracks: tracks,
			CustomParameters: params, MediaFormat: f}})
}
