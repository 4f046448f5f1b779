package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
)

// promptView is a prompt as listed: where it comes from ("store" for an
// upload, "file" for prompts_dir or the bundled set), length and level.
type promptView struct {
	Name       string   `json:"name"`
	Source     string   `json:"source"`
	DurationMs int64    `json:"duration_ms"`
	PeakDBFS   float64  `json:"peak_dbfs"`
	LevelDBm0  *float64 `json:"level_dbm0"` // null for silence
	Version    int64    `json:"version,omitempty"`
	UpdatedAt  string   `json:"updated_at,omitempty"`
}

func storedView(p store.PromptInfo) promptView {
	v := promptView{Name: p.Name, Source: "store", DurationMs: p.Duration().Milliseconds(), PeakDBFS: round1(p.PeakDBFS),
		Version: p.Version, UpdatedAt: p.UpdatedAt.Format(time.RFC3339Nano)}
	if p.ActiveDBm0 > -900 {
		l := round1(p.ActiveDBm0)
		v.LevelDBm0 = &l
	}
	return v
}

func fileView(p *prompts.Prompt) promptView {
	lv := audio.MeasureLevel(p.PCM)
	v := promptView{Name: p.Name, Source: "file", DurationMs: p.Duration().Milliseconds(), PeakDBFS: round1(lv.PeakDBFS)}
	if !math.IsInf(lv.ActiveDBm0, -1) {
		l := round1(lv.ActiveDBm0)
		v.LevelDBm0 = &l
	}
	return v
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func (s *Server) listPrompts(w http.ResponseWriter, r *http.Request) {
	stored, err := s.st.Prompts(r.Context())
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	items := []promptView{}
	have := map[string]bool{}
	for _, p := range stored {
		items = append(items, storedView(p))
		have[p.Name] = true
	}
	base := s.cfg.BasePrompts()
	for _, n := range base.Names() {
		if !have[n] { // an upload of the same name is what plays
			p, _ := base.Get(n)
			items = append(items, fileView(p))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) getPrompt(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	p, _, err := s.st.PromptAudio(r.Context(), name)
	if err == nil {
		w.Header().Set("ETag", etag(p.Version))
		writeJSON(w, http.StatusOK, storedView(p))
		return
	}
	if fp, ok := s.cfg.BasePrompts().Get(name); ok && errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusOK, fileView(fp))
		return
	}
	s.storeError(w, r, err)
}

// promptAudio serves the prompt as ivrd plays it: 8 kHz mono 16-bit WAV.
func (s *Server) promptAudio(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	_, pcm, err := s.st.PromptAudio(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		if fp, ok := s.cfg.BasePrompts().Get(name); ok {
			pcm, err = fp.PCM, nil
		}
	}
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	var buf seekBuffer
	if err := audio.WriteWAV(&buf, pcm); err != nil {
		s.storeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".wav"))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.b) // a client gone mid-download has no one to tell
}

// uploadPrompt takes a prompt as the raw body (audio/wav, or audio/L16 /
// application/octet-stream with a .pcm name for raw 8 kHz PCM) or as the
// "file" part of a multipart form, decodes and converts it to 8 kHz once,
// and stores it. PUT names it in the path; POST with ?name= or a "name"
// form field.
func (s *Server) uploadPrompt(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if name == "" {
		name = r.URL.Query().Get("name")
	}
	v, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var data []byte
	raw := mt == "audio/l16" || mt == "audio/pcm"
	switch mt {
	case "application/json":
		s.speakPrompt(w, r, name, v)
		return
	case "multipart/form-data":
		data, name, err = readMultipart(r, params["boundary"], name)
	case "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", "audio/l16", "audio/pcm", "application/octet-stream":
		data, err = io.ReadAll(r.Body)
	default:
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
			fmt.Sprintf("Content-Type %q: send audio/wav, audio/L16 (raw 16-bit 8 kHz), multipart/form-data with a \"file\" part, or application/json {\"say\": TEXT}", r.Header.Get("Content-Type")))
		return
	}
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("prompt upload over %d bytes", maxErr.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if name == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "the prompt needs a name: PUT /api/v1/prompts/NAME, ?name=NAME or a \"name\" form field")
		return
	}
	if !store.ValidPromptName(name) {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("prompt name %q: want letters, digits, '.', '_' or '-' (at most 64)", name))
		return
	}
	file := name + ".wav"
	if raw {
		file = name + ".pcm"
	}
	pcm, err := audio.Decode(file, bytes.NewReader(data))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "bad_audio", fmt.Sprintf("prompt %q: %v", name, err))
		return
	}
	s.putPrompt(w, r, name, pcm, v)
}

// putPrompt stores 8 kHz audio under name and answers with it.
func (s *Server) putPrompt(w http.ResponseWriter, r *http.Request, name string, pcm []int16, v int64) {
	info, err := s.st.PutPrompt(r.Context(), who(r), name, pcm, v)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(info.Version))
	status := http.StatusOK
	if info.Version == 1 {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/prompts/"+name)
	}
	writeJSON(w, status, storedView(info))
}

func readMultipart(r *http.Request, boundary, name string) ([]byte, string, error) {
	if boundary == "" {
		return nil, name, errors.New("multipart body without a boundary")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, name, err
	}
	var data []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, name, err
		}
		switch part.FormName() {
		case "file":
			if data, err = io.ReadAll(part); err != nil {
				return nil, name, err
			}
		case "name":
			b, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				return nil, name, err
			}
			if name == "" {
				name = string(b)
			}
		default:
			return nil, name, fmt.Errorf("unknown form field %q (want file and name)", part.FormName())
		}
	}
	if data == nil {
		return nil, name, errors.New(`the form has no "file" part`)
	}
	return data, name, nil
}

func (s *Server) deletePrompt(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if err := s.st.DeletePrompt(r.Context(), who(r), r.PathValue("name"), v); err != nil {
		s.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// seekBuffer is an in-memory io.WriteSeeker (the WAV encoder seeks back
// to write the sizes).
type seekBuffer struct {
	b   []byte
	pos int
}

func (s *seekBuffer) Write(p []byte) (int, error) {
	if end := s.pos + len(p); end > len(s.b) {
		s.b = append(s.b, make([]byte, end-len(s.b))...)
	}
	n := copy(s.b[s.pos:], p)
	s.pos += n
	return n, nil
}

func (s *seekBuffer) Seek(off int64, whence int) (int64, error) {
	var p int64
	switch whence {
	case io.SeekStart:
		p = off
	case io.SeekCurrent:
		p = int64(s.pos) + off
	case io.SeekEnd:
		p = int64(len(s.b)) + off
	}
	if p < 0 {
		return 0, errors.New("seek before start")
	}
	s.pos = int(p)
	return p, nil
}
