package ui

import (
	"go/build"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func TestServesThePageAndItsAssets(t *testing.T) {
	h := Handler("/ui")
	r := get(t, h, "GET", "/ui")
	assert.Equal(t, http.StatusMovedPermanently, r.StatusCode)
	assert.Equal(t, "/ui/", r.Header.Get("Location"))

	r = get(t, h, "GET", "/ui/")
	require.Equal(t, 200, r.StatusCode)
	body, _ := io.ReadAll(r.Body)
	assert.Contains(t, string(body), `<script type="module" src="js/main.js">`)
	assert.Contains(t, r.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, r.Header.Get("Content-Security-Policy"), "default-src 'self'")
	assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))

	for path, ctype := range map[string]string{
		"/ui/js/main.js":                "text/javascript",
		"/ui/app.css":                   "text/css",
		"/ui/vendor/dagre/dagre.esm.js": "text/javascript",
		"/ui/vendor/dagre/LICENSE":      "text/plain",
	} {
		r = get(t, h, "GET", path)
		assert.Equal(t, 200, r.StatusCode, path)
		assert.Contains(t, r.Header.Get("Content-Type"), ctype, path)
	}
	for _, path := range []string{"/ui/nope.js", "/ui/js/", "/ui/../ui.go", "/uix", "/ui/js/../../ui.go"} {
		assert.Equal(t, http.StatusNotFound, get(t, h, "GET", path).StatusCode, path)
	}
	assert.Equal(t, http.StatusMethodNotAllowed, get(t, h, "POST", "/ui/").StatusCode)
}

// No CDN, no request to another origin: every URL in the page's own
// files is relative (the vendored library is checked to import nothing).
func TestNoExternalRequests(t *testing.T) {
	abs := regexp.MustCompile(`(?i)(src|href|url|import|from|fetch)\s*[=(]?\s*["'\x60](https?:)?//`)
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		require.NoError(t, err)
		assert.False(t, abs.Match(b), "%s refers to another origin", path)
		if strings.HasSuffix(path, "dagre.esm.js") {
			assert.NotRegexp(t, `\bimport\s*[{*"']|\bimport\(`, string(b), "the vendored library imports nothing")
		}
		return nil
	})
	require.NoError(t, err)
}

// Each JavaScript module stays small enough to read (the project's
// ~600-line rule), the vendored library aside.
func TestModulesStaySmall(t *testing.T) {
	files, err := fs.Glob(static, "static/js/*.js")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, _ := fs.ReadFile(static, f)
		assert.LessOrEqual(t, strings.Count(string(b), "\n"), 600, f)
	}
}

// The package imports only the standard library (doc.go): the UI can
// never reach around the API.
func TestImportsOnlyTheStandardLibrary(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	require.NoError(t, err)
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		assert.NotContains(t, first, ".", "ui imports %s", imp)
	}
}

// The phone's port is served to the page, and the page's policy lets it
// connect to that port on the host the page came from, and nowhere else.
func TestPhoneEndpointAndPolicy(t *testing.T) {
	h := WithPhone("/ui", func() Phone { return Phone{WSPort: 8089, Secure: true} })
	r := get(t, h, "GET", "/ui/phone.json")
	require.Equal(t, 200, r.StatusCode)
	body, _ := io.ReadAll(r.Body)
	assert.JSONEq(t, `{"ws_port": 8089, "secure": true}`, string(body))

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/ui/", nil)
	req.Host = "pbx.example.com:8080"
	h.ServeHTTP(rec, req)
	assert.Contains(t, rec.Result().Header.Get("Content-Security-Policy"), "connect-src 'self' wss://pbx.example.com:8089;")

	req.Host = "evil' ; script-src *"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Contains(t, rec.Result().Header.Get("Content-Security-Policy"), "connect-src 'self';", "no exception for a Host no browser sends")

	r = get(t, Handler("/ui"), "GET", "/ui/phone.json")
	body, _ = io.ReadAll(r.Body)
	assert.JSONEq(t, `{"ws_port": 0, "secure": false}`, string(body), "no listener: the page says so")
	assert.Contains(t, get(t, Handler("/ui"), "GET", "/ui/").Header.Get("Content-Security-Policy"), "connect-src 'self';")
}
