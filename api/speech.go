package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
)

// spokenUpload is a prompt uploaded as text: PUT /api/v1/prompts/NAME
// with Content-Type application/json.
type spokenUpload struct {
	Say   string `json:"say"`
	Voice string `json:"voice"`
}

// speakPrompt renders an uploaded text with espeak-ng, now (upload time,
// never in a call), and stores the audio as any uploaded prompt: calls,
// downloads and `config export --prompts` see the speech. A text that
// cannot be spoken is a 422 naming the prompt and the reason.
func (s *Server) speakPrompt(w http.ResponseWriter, r *http.Request, name string, v int64) {
	if name == "" || !store.ValidPromptName(name) {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("prompt name %q: want letters, digits, '.', '_' or '-' (at most 64): PUT /api/v1/prompts/NAME", name))
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	var up spokenUpload
	if err := decodeStrict(data, &up); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("prompt %q: want {\"say\": TEXT, \"voice\": VOICE}: %v", name, err))
		return
	}
	if strings.TrimSpace(up.Say) == "" {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("prompt %q: say is required: the text to speak", name))
		return
	}
	sp := prompts.Spoken{Name: name, Text: up.Say, Voice: up.Voice}
	pcm, err := s.cfg.Speaker.Speak(sp.Text, sp.VoiceFor())
	if err != nil {
		code := "cannot_speak"
		if errors.Is(err, prompts.ErrNoSpeaker) {
			code = "no_speaker"
		}
		writeError(w, http.StatusUnprocessableEntity, code, fmt.Sprintf("prompt %q: cannot speak this prompt: %v", name, err))
		return
	}
	s.putPrompt(w, r, name, pcm, v)
}
