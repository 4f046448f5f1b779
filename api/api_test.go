package api

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/prompts"
)

func TestIVRCRUD(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		r := e.send("POST", "/api/v1/ivrs", `{"id":"sales","name":"Sales","extensions":["250"],"prompt":"main-choices",
			"response_timeout":"4s","keys":{"1":{"uri":"sip:sales@127.0.0.1:5070"},"#":"hangup","9":{"ivr":"main"}}}`)
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		require.Equal(t, `"1"`, r.Header.Get("ETag"))
		require.Equal(t, "/api/v1/ivrs/sales", r.Header.Get("Location"))

		r = e.get("/api/v1/ivrs/sales")
		require.Equal(t, 200, r.Status)
		m := r.JSON(t)
		require.Equal(t, "4s", m["response_timeout"])
		require.Equal(t, map[string]any{"uri": "sip:sales@127.0.0.1:5070"}, m["keys"].(map[string]any)["1"])

		// Change the timeout with the ETag just read.
		r = e.do(req{method: "PATCH", path: "/api/v1/ivrs/sales", body: []byte(`{"response_timeout":"8s","keys":{"#":null,"2":{"play":"opening-hours","then":"menu"}}}`),
			header: map[string]string{"If-Match": `"1"`}})
		require.Equal(t, 200, r.Status, string(r.Body))
		require.Equal(t, `"2"`, r.Header.Get("ETag"))
		keys := r.JSON(t)["keys"].(map[string]any)
		require.NotContains(t, keys, "#")
		require.Contains(t, keys, "2")

		// The running configuration has it.
		cfg, _, err := e.st.Config(t.Context())
		require.NoError(t, err)
		require.Equal(t, "8s", fmt.Sprint(cfg.IVRByID("sales").ResponseTimeout.D()))

		// PUT with the stale ETag: 412, nothing changed.
		r = e.do(req{method: "PUT", path: "/api/v1/ivrs/sales", body: []byte(`{"prompt":"main-choices","extensions":["250"]}`),
			header: map[string]string{"If-Match": `"1"`}})
		require.Equal(t, http.StatusPreconditionFailed, r.Status)
		require.Equal(t, "version_conflict", r.ErrCode(t))

		r = e.do(req{method: "DELETE", path: "/api/v1/ivrs/sales", header: map[string]string{"If-Match": `"2"`}})
		require.Equal(t, http.StatusNoContent, r.Status)
		require.Equal(t, http.StatusNotFound, e.get("/api/v1/ivrs/sales").Status)
	})
}

func TestPaginationAndFilters(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		for i := 0; i < 7; i++ {
			tenant := "acme"
			if i%2 == 1 {
				tenant = "globex"
			}
			r := e.send("POST", "/api/v1/ivrs", fmt.Sprintf(`{"id":"t%02d","tenant":%q,"extensions":["30%d"],"prompt":"main-choices"}`, i, tenant, i))
			require.Equal(t, 201, r.Status, string(r.Body))
		}
		var ids []string
		cursor := ""
		for pages := 0; pages < 10; pages++ {
			path := "/api/v1/ivrs?limit=3&id_prefix=t"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			m := e.get(path).JSON(t)
			for _, it := range m["items"].([]any) {
				ids = append(ids, it.(map[string]any)["id"].(string))
			}
			c, ok := m["next_cursor"].(string)
			if !ok {
				break
			}
			cursor = c
		}
		require.Equal(t, []string{"t00", "t01", "t02", "t03", "t04", "t05", "t06"}, ids)

		m := e.get("/api/v1/ivrs?tenant=globex").JSON(t)
		require.Len(t, m["items"], 3)
		m = e.get("/api/v1/ivrs?extension=304").JSON(t)
		require.Len(t, m["items"], 1)

		r := e.do(req{method: "GET", path: "/api/v1/ivrs?limit=0", badRequest: true})
		require.Equal(t, 400, r.Status)
		r = e.do(req{method: "GET", path: "/api/v1/ivrs?colour=red", badRequest: true})
		require.Equal(t, 400, r.Status)
		require.Contains(t, string(r.Body), `unknown query parameter \"colour\"`)
		r = e.do(req{method: "GET", path: "/api/v1/ivrs?cursor=!!", badRequest: true})
		require.Equal(t, 400, r.Status)
	})
}

func TestValidationFailureIs422WithEveryProblem(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		before := e.get("/api/v1/ivrs").Body
		r := e.send("POST", "/api/v1/ivrs", `{"id":"bad","extensions":["100"],"prompt":"nope","prompt_repeat":9,"keys":{"4":{"ivr":"sales2"}}}`)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
		var paths []string
		for _, p := range r.JSON(t)["error"].(map[string]any)["problems"].([]any) {
			pm := p.(map[string]any)
			paths = append(paths, pm["path"].(string)+": "+pm["message"].(string))
		}
		all := strings.Join(paths, "\n")
		assert.Contains(t, all, `ivrs[bad].keys.4: unknown ivr "sales2"`)
		assert.Contains(t, all, "ivrs[bad].prompt_repeat")
		assert.Contains(t, all, `ivrs[bad].prompt`)
		assert.Contains(t, all, `"100"`) // the extension main already has
		require.Equal(t, string(before), string(e.get("/api/v1/ivrs").Body), "nothing was applied")

		// A schedule still used by nobody can go; the main menu's submenu cannot.
		r = e.do(req{method: "DELETE", path: "/api/v1/ivrs/support"})
		require.Equal(t, 422, r.Status)
	})
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		cases := []struct {
			name, method, path, ctype, body string
			status                          int
			want                            string
		}{
			{"wrong type", "POST", "/api/v1/ivrs", "", `{"id":"x","prompt_repeat":"three"}`, 400, "prompt_repeat: want an integer, got a string"},
			{"unknown field", "POST", "/api/v1/ivrs", "", `{"id":"x","colour":"red"}`, 400, "colour: unknown field"},
			{"unknown destination field", "POST", "/api/v1/ivrs", "", `{"id":"x","keys":{"1":{"url":"sip:a@b"}}}`, 400, "keys.1.url: unknown destination field"},
			{"bad duration", "POST", "/api/v1/ivrs", "", `{"id":"x","digit_timeout":"soon"}`, 400, `digit_timeout: bad duration \"soon\"`},
			{"malformed json", "POST", "/api/v1/ivrs", "", `{"id":`, 400, "malformed JSON"},
			{"not an object", "POST", "/api/v1/ivrs", "", `[1,2]`, 400, "want a JSON object"},
			{"no id", "POST", "/api/v1/trunks", "", `{"uri":"sip:gw"}`, 400, "name: required"},
			{"id mismatch", "PUT", "/api/v1/ivrs/a", "", `{"id":"b"}`, 400, "differs from the id in the URL"},
			{"out of range", "PATCH", "/api/v1/ivrs/main", "", `{"response_timeout":"60s"}`, 422, "ivrs[main].response_timeout"},
			{"unknown id", "PATCH", "/api/v1/ivrs/nope", "", `{"name":"x"}`, 404, `ivr \"nope\": not found`},
			{"unknown id delete", "DELETE", "/api/v1/schedules/nope", "", ``, 404, "not found"},
			{"exists", "POST", "/api/v1/ivrs", "", `{"id":"main","prompt":"main-choices"}`, 409, "already exists"},
			{"media type", "POST", "/api/v1/ivrs", "text/xml", `<ivr/>`, 415, "want application/json"},
			{"bad if-match", "DELETE", "/api/v1/ivrs/main", "", ``, 400, "If-Match"},
			{"oversized", "POST", "/api/v1/ivrs", "", `{"id":"x","name":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "over"},
			{"no route", "GET", "/api/v1/nothing", "", ``, 404, "no route"},
			{"simulate unknown field", "POST", "/api/v1/simulate", "", `{"ivr":"main","inputs":"1"}`, 400, "unknown field"},
			{"simulate bad script", "POST", "/api/v1/simulate", "", `{"ivr":"main","input":"x"}`, 400, "not a key"},
			{"simulate type", "POST", "/api/v1/simulate", "", `{"ivr":"main","transfer_fails":"yes"}`, 400, "transfer_fails: want bool"},
			{"prompt bad audio", "PUT", "/api/v1/prompts/junk", "audio/wav", `not a wav`, 422, "not a readable WAV"},
			{"prompt bad name", "PUT", "/api/v1/prompts/..x", "audio/wav", `RIFF`, 400, "prompt name"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := map[string]string{}
				if c.name == "bad if-match" {
					h["If-Match"] = "yesterday"
				}
				var body []byte
				if c.body != "" {
					body = []byte(c.body)
				}
				r := e.do(req{method: c.method, path: c.path, ctype: c.ctype, body: body, header: h, badRequest: true})
				require.Equal(t, c.status, r.Status, string(r.Body))
				require.Contains(t, string(r.Body), c.want)
			})
		}
	})
}

func TestAuth(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		r := e.do(req{method: "GET", path: "/api/v1/ivrs", token: "-", badRequest: true})
		require.Equal(t, 401, r.Status)
		require.Equal(t, "unauthorized", r.ErrCode(t))
		r = e.do(req{method: "GET", path: "/api/v1/ivrs", token: readToken})
		require.Equal(t, 200, r.Status, "a read token reads (config token given as token_sha256)")
		r = e.do(req{method: "PATCH", path: "/api/v1/ivrs/main", token: readToken, body: []byte(`{"name":"x"}`)})
		require.Equal(t, 403, r.Status)
		r = e.do(req{method: "POST", path: "/api/v1/simulate", token: readToken, body: []byte(`{"ivr":"main","input":"wait:1s"}`)})
		require.Equal(t, 200, r.Status, "simulate changes nothing: a read token may")

		// A stored token works until revoked.
		tok, _, err := e.st.CreateToken(t.Context(), "ci", "write")
		require.NoError(t, err)
		r = e.do(req{method: "PATCH", path: "/api/v1/ivrs/main", token: tok, body: []byte(`{"name":"Main"}`)})
		require.Equal(t, 200, r.Status, string(r.Body))
		audit := e.get("/api/v1/audit?limit=1").JSON(t)["items"].([]any)[0].(map[string]any)
		require.Equal(t, "ci", audit["who"])
		require.NoError(t, e.st.RevokeToken(t.Context(), "ci"))
		r = e.do(req{method: "GET", path: "/api/v1/ivrs", token: tok, badRequest: true})
		require.Equal(t, 401, r.Status)

		// Guessing: after FailLimit failures the address is throttled, even
		// with a good token.
		for i := 0; i < 5; i++ {
			e.do(req{method: "GET", path: "/api/v1/ivrs", token: fmt.Sprintf("guess-%d", i), badRequest: true})
		}
		r = e.do(req{method: "GET", path: "/api/v1/ivrs", badRequest: true})
		require.Equal(t, 429, r.Status)
		require.NotEmpty(t, r.Header.Get("Retry-After"))
	})
}

func TestSecretsAreWriteOnly(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		r := e.send("PUT", "/api/v1/trunks/pstn", `{"uri":"sip:gw.example.net","username":"acme","password":"s3cret"}`)
		require.Equal(t, 201, r.Status, string(r.Body))
		require.NotContains(t, string(r.Body), "s3cret")
		require.Equal(t, true, r.JSON(t)["password_set"])
		r = e.get("/api/v1/trunks/pstn")
		require.NotContains(t, string(r.Body), "s3cret")
		r = e.send("PUT", "/api/v1/extensions/1001", `{"name":"Alice","password":"alice-pw"}`)
		require.Equal(t, 201, r.Status)
		list := e.get("/api/v1/extensions")
		require.NotContains(t, string(list.Body), "alice-pw")
		// Sent back as read (with password_set), the password stays.
		// (The document marks those fields readOnly, so this request is
		// outside it; the API accepts and ignores them.)
		r = e.do(req{method: "PUT", path: "/api/v1/extensions/1001", badRequest: true,
			body: []byte(`{"number":"1001","name":"Alice B","password_set":true,"version":1}`)})
		require.Equal(t, 200, r.Status, string(r.Body))
		cfg, _, _ := e.st.Config(t.Context())
		require.Equal(t, "alice-pw", cfg.ExtensionByNumber("1001").Password)

		// A voicemail PIN is stored hashed and never returned.
		r = e.send("POST", "/api/v1/voicemail_boxes", `{"box":"1001","pin":"4321","max_attempts":2}`)
		require.Equal(t, 201, r.Status, string(r.Body))
		require.NotContains(t, string(r.Body), "4321")
		require.Equal(t, true, r.JSON(t)["pin_set"])
		require.NotContains(t, string(e.get("/api/v1/voicemail_boxes/1001").Body), "sha256")
		r = e.send("PATCH", "/api/v1/voicemail_boxes/1001", `{"max_attempts":3}`)
		require.Equal(t, 200, r.Status, string(r.Body))
		cfg, _, _ = e.st.Config(t.Context())
		box := cfg.VoicemailBoxByID("1001")
		require.True(t, strings.HasPrefix(box.PIN, "sha256:"), "stored hashed: %s", box.PIN)
		require.True(t, box.CheckPIN("4321"), "a PATCH without the PIN keeps it")
		r = e.send("POST", "/api/v1/voicemail_boxes", `{"box":"1001x","pin":"12"}`)
		require.Equal(t, 422, r.Status, string(r.Body))
	})
}

// Concurrent PATCHes without If-Match of different keys: every one lands.
func TestConcurrentPatchesNoLostUpdate(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		var wg sync.WaitGroup
		codes := make(chan int, 10)
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := e.do(req{method: "PATCH", path: "/api/v1/ivrs/support",
					body: []byte(fmt.Sprintf(`{"keys":{"%d":{"uri":"sip:agent%d@127.0.0.1"}}}`, i, i))})
				codes <- r.Status
			}(i)
		}
		wg.Wait()
		close(codes)
		for c := range codes {
			require.Equal(t, 200, c)
		}
		keys := e.get("/api/v1/ivrs/support").JSON(t)["keys"].(map[string]any)
		for i := 0; i < 6; i++ {
			require.Equal(t, map[string]any{"uri": fmt.Sprintf("sip:agent%d@127.0.0.1", i)}, keys[fmt.Sprint(i)])
		}
	})
}

func TestPromptsUploadListDownload(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		// A 16 kHz WAV of a -20 dBm0 tone, one second.
		tone := prompts.Tone("t", 1000, 0, -20, 1000, 0)
		pcm16k := audio.Resample(tone.PCM, 8000, 16000)
		wav := wav16k(t, pcm16k)

		r := e.do(req{method: "PUT", path: "/api/v1/prompts/hello", ctype: "audio/wav", body: wav})
		require.Equal(t, 201, r.Status, string(r.Body))
		m := r.JSON(t)
		require.InDelta(t, 1000, m["duration_ms"], 1)
		require.InDelta(t, -20, m["level_dbm0"], 1.5)

		// Multipart, as a browser form sends it.
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("name", "bye")
		fw, _ := mw.CreateFormFile("file", "bye.wav")
		fw.Write(wav)
		mw.Close()
		r = e.do(req{method: "POST", path: "/api/v1/prompts", ctype: mw.FormDataContentType(), body: b.Bytes()})
		require.Equal(t, 201, r.Status, string(r.Body))

		list := e.get("/api/v1/prompts").JSON(t)["items"].([]any)
		names := map[string]string{}
		for _, it := range list {
			names[it.(map[string]any)["name"].(string)] = it.(map[string]any)["source"].(string)
		}
		require.Equal(t, "store", names["hello"])
		require.Equal(t, "file", names["welcome"])

		// Downloaded: 8 kHz, one second, the same tone.
		r = e.do(req{method: "GET", path: "/api/v1/prompts/hello/audio"})
		require.Equal(t, 200, r.Status)
		require.Equal(t, "audio/wav", r.Header.Get("Content-Type"))
		pcm, err := audio.Decode("x.wav", bytes.NewReader(r.Body))
		require.NoError(t, err)
		require.InDelta(t, 8000, len(pcm), 160)
		require.InDelta(t, -20, audio.MeasureLevel(pcm).ActiveDBm0, 1.5)

		// Used by a menu, it cannot be deleted.
		r = e.send("PATCH", "/api/v1/ivrs/main", `{"greeting":"hello"}`)
		require.Equal(t, 200, r.Status, string(r.Body))
		r = e.do(req{method: "DELETE", path: "/api/v1/prompts/hello"})
		require.Equal(t, 422, r.Status)
		require.Equal(t, 204, e.do(req{method: "DELETE", path: "/api/v1/prompts/bye"}).Status)

		// Oversized upload.
		e.srv.cfg.MaxUpload = 1000
		r = e.do(req{method: "PUT", path: "/api/v1/prompts/big", ctype: "audio/wav", body: wav})
		require.Equal(t, 413, r.Status)
	})
}

func wav16k(t *testing.T, pcm []int16) []byte {
	t.Helper()
	var s seekBuffer
	// WriteWAV writes 8 kHz; patch the rate fields for a 16 kHz file.
	require.NoError(t, audio.WriteWAV(&s, pcm))
	b := s.b
	putLE32(b[24:], 16000)
	putLE32(b[28:], 32000)
	return b
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func TestValidateAndSimulate(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		r := e.do(req{method: "POST", path: "/api/v1/validate", ctype: "application/yaml",
			body: []byte("ivrs:\n  - id: a\n    extensions: [\"1\"]\n    prompt: welcome\n    keys:\n      \"1\": { ivr: b }\n")})
		require.Equal(t, 200, r.Status, string(r.Body))
		m := r.JSON(t)
		require.Equal(t, false, m["valid"])
		require.Contains(t, string(r.Body), `unknown ivr \"b\"`)

		r = e.send("POST", "/api/v1/simulate", `{"ivr":"main","input":"wait:1s,2"}`)
		require.Equal(t, 200, r.Status, string(r.Body))
		var evs []string
		for _, ev := range r.JSON(t)["events"].([]any) {
			em := ev.(map[string]any)
			evs = append(evs, fmt.Sprint(em["event"], ":", em["ivr"]))
		}
		require.Contains(t, evs, "enter:support", "key 2 of the example enters the support menu")

		// A submenu without an extension of its own can be simulated too.
		r = e.send("POST", "/api/v1/simulate", `{"ivr":"support","input":"wait:1s"}`)
		require.Equal(t, 200, r.Status, string(r.Body))
		require.Equal(t, 404, e.do(req{method: "POST", path: "/api/v1/simulate", body: []byte(`{"ivr":"nope"}`)}).Status)
	})
}

func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite://"+t.TempDir()+"/x.db")
	r := e.get("/api/v1/openapi.json")
	require.Equal(t, 200, r.Status)
	require.Equal(t, "3.0.3", r.JSON(t)["openapi"])
}
