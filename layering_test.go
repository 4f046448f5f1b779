package ivrd_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is ivrd's module path; rule names below are relative to it.
const module = "github.com/ivrd/ivrd"

// rule is one package's import contract, as its doc.go states it.
type rule struct {
	pkg  string // module-relative; "api/..." is api and every package below it
	says string // the doc.go statement it holds the code to
	// not: packages it must never depend on, directly or through another
	// (ivrd packages cover their sub-packages; a third-party path its
	// sub-packages; a standard library path only itself: net/netip and
	// net/url parse values, they are not the network).
	not []string
	// only, when not nil, is every ivrd package it may import directly
	// (empty: none).
	only []string
	// stdOnly: it depends on nothing outside the standard library and
	// the ivrd packages only allows.
	stdOnly bool
}

// ivrd names ivrd packages by their path in the module.
func ivrd(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = module + "/" + n
	}
	return out
}

// network is what "no network package" means: sockets, HTTP, TLS, RTP
// and SIP stacks.
func network() []string {
	return []string{"net", "net/http", "crypto/tls", "golang.org/x/net", "github.com/pion", "github.com/emiago/sipgo"}
}

// metrics is the metrics library observe keeps to itself.
const metrics = "github.com/prometheus"

func join(lists ...[]string) []string { return slices.Concat(lists...) }

// rules has one row per package, each quoting its doc.go. A package with
// no row fails the test: a new package states in its doc.go what it must
// not import, and gets a row here. Rows also carry what another package's
// doc.go forbids them ("call must not be imported by sip"; "sip, media,
// ivr, store and call must not import observe or prometheus").
func rules() []rule {
	return []rule{
		{pkg: "audio", says: "must not import any other ivrd package, nor any network package (no net, no RTP, no SIP)",
			not: join([]string{module}, network())},
		{pkg: "audio/opus", says: "must not import any ivrd package but audio, nor any network package",
			not: network(), only: ivrd("audio")},
		{pkg: "spoken", says: "imports only the standard library: no ivrd package, nothing that reads files, runs programs or knows a network",
			not: join([]string{module, "os/exec"}, network()), stdOnly: true},
		{pkg: "dtmf", says: "must not do networking, SIP or SDP, menus; imports no ivrd package but audio, and never dtmftest outside tests",
			not:  join(ivrd("dtmf/dtmftest", "sip", "media", "ivr", "call"), []string{"net", "net/http", "github.com/emiago/sipgo"}),
			only: ivrd("audio")},
		{pkg: "dtmf/dtmftest", says: "must not import package dtmf nor any network package; imported only by tests",
			not: join(ivrd("dtmf"), network())},
		{pkg: "prompts", says: "must not import anything that knows RTP, sockets or menus: of ivrd it imports audio, audio/opus and spoken only",
			not: join(ivrd("sip", "media", "ivr", "call"), network()), only: ivrd("audio", "audio/opus", "spoken")},
		{pkg: "ivr", says: "imports no network, SIP or media package; must not import prompts; of ivrd audio, audio/opus and spoken only",
			not:  join(ivrd("sip", "media", "dtmf", "call", "prompts", "store", "observe"), network(), []string{metrics}),
			only: ivrd("audio", "audio/opus", "spoken")},
		{pkg: "media", says: "must not import sip, ivr, call, dtmf or prompts; nor observe or prometheus",
			not: join(ivrd("sip", "ivr", "call", "dtmf", "prompts", "observe"), []string{metrics})},
		{pkg: "media/uring", says: "It imports no ivrd package, and nothing but the standard library and golang.org/x/sys",
			not: join([]string{module}, network()), only: []string{}},
		{pkg: "sip", says: "must not import ivr or call, prompts or store; nor observe or prometheus",
			not: join(ivrd("ivr", "call", "prompts", "store", "observe"), []string{metrics})},
		{pkg: "sip/siptest", says: "test tooling; the server never imports it (checked for every test peer below)"},
		{pkg: "store", says: "must not import api, sip, media or call; nor observe or prometheus; knows nothing of HTTP or SIP; imports ivr, audio, prompts and cdr only",
			not:  join(ivrd("api", "sip", "media", "call", "observe"), []string{metrics, "net/http", "github.com/emiago/sipgo"}),
			only: ivrd("ivr", "audio", "prompts", "cdr")},
		{pkg: "cdr", says: "must not import any other ivrd package nor any network package",
			not: join([]string{module}, network())},
		{pkg: "asterisk", says: "must not import any other ivrd package nor any network package",
			not: join([]string{module}, network())},
		{pkg: "node", says: "the application layer: wires the server; imported by cmd/ivrd and tests only (checked below); never by the test peers",
			not: ivrd("node/nodetest", "e2e")},
		{pkg: "node/nodetest", says: "a test peer: production code must not import it; it must not import node",
			not: ivrd("node")},
		{pkg: "internal/testenv", says: "test support (is the race detector on, a free port for baresip, a log buffer safe to share): imported by tests only; imports no ivrd package",
			not: []string{module}},
		{pkg: "e2e", says: "system tests of the binary: no code outside its tests; nothing may import it", only: []string{}},
		{pkg: "e2e/wideband", says: "system tests of wideband calls: no code outside its tests; nothing may import it", only: []string{}},
		{pkg: "store/storetest", says: "imported only by tests; imports no ivrd package",
			not: []string{module}},
		{pkg: "call", says: "must not be imported by sip, media, dtmf or ivr (their rows); must not import api, webhook, decide, stream or observe, nor prometheus",
			not: join(ivrd("api", "webhook", "decide", "stream", "observe"), []string{metrics})},
		{pkg: "recording", says: "must not import sip, call, ivr, store or api",
			not: ivrd("sip", "call", "ivr", "store", "api"), only: ivrd("audio", "media")},
		{pkg: "decide", says: "imports ivr (types and the answer decoder) and nothing else of ivrd: not sip, media, call, store, webhook or prompts",
			not: ivrd("sip", "media", "call", "store", "webhook", "prompts", "observe"), only: ivrd("ivr")},
		{pkg: "stream", says: "imports ivr (stream settings and answers), audio (G.711) and decide (its SSRF check) and nothing else of ivrd: not sip, media, call, store, api or observe, nor prometheus",
			not: join(ivrd("sip", "media", "call", "store", "api", "observe"), []string{metrics}), only: ivrd("ivr", "audio", "decide")},
		{pkg: "examples/streambot", says: "the echo bot's command: its bot package only",
			only: ivrd("examples/streambot/bot")},
		{pkg: "examples/streambot/bot", says: "imports no ivrd package: the standard library and github.com/coder/websocket only",
			not: []string{module}},
		{pkg: "examples/decision", says: "the reference decision service's command: its service package only",
			only: ivrd("examples/decision/service")},
		{pkg: "examples/decision/service", says: "a reference decision service, a template for any language: the standard library only",
			not: []string{module}, stdOnly: true},
		{pkg: "observe", says: "hears the rest only through hooks; imports call for the event type only",
			only: ivrd("call")},
		{pkg: "webhook", says: "of ivrd imports store, ivr and cdr only; must not import call, sip, media or observe",
			not: ivrd("call", "sip", "media", "observe"), only: ivrd("store", "ivr", "cdr")},
		{pkg: "api", says: "must not import sip, media or call: it never touches a call",
			not: ivrd("sip", "media", "call")},
		{pkg: "api/edit", says: "knows nothing of HTTP; must not import api or its vendor packages, sip, media or call",
			not: join(ivrd("sip", "media", "call"), []string{"net/http"}), only: ivrd("ivr", "store")},
		{pkg: "api/zendesk", says: "must not import api, sip, media or call", not: ivrd("sip", "media", "call"), only: ivrd("api/edit", "ivr", "store")},
		{pkg: "api/yeastar", says: "must not import api, sip, media or call", not: ivrd("sip", "media", "call"), only: ivrd("api/edit", "ivr", "store")},
		{pkg: "api/wazo", says: "must not import api, sip, media or call", not: ivrd("sip", "media", "call"), only: ivrd("api/edit", "ivr", "store")},
		{pkg: "api/apitest", says: "serves the API for the vendor packages' tests; imported only by tests"},
		{pkg: "ui", says: "imports only the standard library: must not import api, store, ivr or any package that runs calls",
			not: []string{module}, stdOnly: true},
		{pkg: "bench/ivrload", says: "must not import ivrd's sip, media, call or ivr; of ivrd it imports package audio and audio/opus alone (the G.722 and Opus coders)",
			not: ivrd("sip", "media", "call", "ivr", "prompts", "dtmf", "store", "node"), only: ivrd("audio", "audio/opus")},
		{pkg: "bench/webrtcload", says: "a client of any SIP-over-WebSocket server: must not import ivrd's sip, media, call or ivr; of ivrd it imports package audio and audio/opus alone (G.711 and the Opus encoder)",
			not: ivrd("sip", "media", "call", "ivr", "prompts", "dtmf", "store", "node"), only: ivrd("audio", "audio/opus")},
		{pkg: "bench/floor", says: "It imports media/uring and nothing else of ivrd",
			not: ivrd("sip", "call", "ivr", "node", "store"), only: ivrd("media/uring")},
		{pkg: "bench/plot", says: "imports the standard library only: no ivrd package, nothing that runs calls",
			not: []string{module}, stdOnly: true},
		{pkg: "cmd/ivrload", says: "flags and output only; the engine is bench/ivrload, which must not import ivrd's server packages",
			only: ivrd("bench/ivrload")},
		// Wiring and holders of files: no import rule of their own
		// beyond the test peers'.
		{pkg: "cmd/ivrd", says: "wiring only: may import every package but the test peers"},
		{pkg: "examples", says: "example configurations", only: []string{}},
		{pkg: "bench", says: "load tools and benchmarks (its Go code is tests)", only: []string{}},
	}
}

// testPeers are the packages written for tests (a test double or test
// data of the package above them): production code never imports them.
func testPeers() []string {
	return ivrd("sip/siptest", "dtmf/dtmftest", "store/storetest", "node/nodetest", "api/apitest")
}

// joinerAllowed: "call is the only library package that joins sip, media, dtmf
// and ivr": no other package imports both sip and ivr, but the commands
// that wire the server.
func joinerAllowed(pkg string) bool {
	return pkg == module+"/call" || pkg == module+"/node" || strings.HasPrefix(pkg, module+"/cmd/")
}

// goPackage is what the test reads of `go list -json`.
type goPackage struct {
	ImportPath string
	Standard   bool
	GoFiles    []string
	Imports    []string
	Module     *struct{ Path string }
}

// listPackages is every package of the module and everything they
// depend on, from `go list -deps -json` (non-test imports only: a test
// may use any package).
func listPackages(t *testing.T) map[string]*goPackage {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not in PATH")
	}
	var stderr bytes.Buffer
	cmd := exec.Command(goTool, "list", "-deps", "-json", module+"/...")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]*goPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading go list's output: %v", err)
		}
		pkgs[p.ImportPath] = &p
	}
	return pkgs
}

// ours is a production package of the module (test-only directories,
// such as the module root holding this file, have no GoFiles).
func ours(p *goPackage) bool {
	return p.Module != nil && p.Module.Path == module && len(p.GoFiles) > 0
}

// matches reports whether imp is name or, for a module or third-party
// path, lies below it.
func matches(imp, name string) bool {
	if imp == name {
		return true
	}
	first, _, _ := strings.Cut(name, "/")
	return strings.Contains(first, ".") && strings.HasPrefix(imp, name+"/")
}

// firstDep finds, breadth first over non-test imports, the shortest
// chain from pkg to a package matching one of names ("" when none).
func firstDep(pkgs map[string]*goPackage, pkg string, names []string) []string {
	from := map[string]string{pkg: ""}
	queue := []string{pkg}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p := pkgs[cur]
		if p == nil {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := from[imp]; seen {
				continue
			}
			from[imp] = cur
			for _, n := range names {
				if matches(imp, n) {
					chain := []string{imp}
					for at := cur; at != ""; at = from[at] {
						chain = append([]string{at}, chain...)
					}
					return chain
				}
			}
			queue = append(queue, imp)
		}
	}
	return nil
}

// short drops the module prefix for messages.
func short(chain []string) string {
	out := make([]string, len(chain))
	for i, c := range chain {
		out[i] = strings.TrimPrefix(strings.TrimPrefix(c, module), "/")
	}
	return strings.Join(out, " -> ")
}

// TestLayering holds the code to what each doc.go says it must not
// import (rules), keeps the test peers out of production code, lets only
// call (and the commands) join sip and ivr, and fails for a package no
// rule speaks for.
func TestLayering(t *testing.T) {
	pkgs := listPackages(t)
	var names []string
	for path, p := range pkgs {
		if ours(p) {
			names = append(names, path)
		}
	}
	slices.Sort(names)
	ruled := map[string]bool{}
	for _, r := range rules() {
		covered := 0
		for _, path := range names {
			rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
			if base, all := strings.CutSuffix(r.pkg, "/..."); all && (rel == base || strings.HasPrefix(rel, base+"/")) || rel == r.pkg {
				covered++
				ruled[path] = true
				checkRule(t, pkgs, path, r)
			}
		}
		if covered == 0 {
			t.Errorf("rule for %s: no such package (renamed or removed? update the rule with its doc.go)", r.pkg)
		}
	}
	peers := testPeers()
	for _, path := range names {
		if !ruled[path] {
			t.Errorf("%s has no layering rule: write in its doc.go what it must not import and add a row to rules()", path)
		}
		if slices.Contains(peers, path) {
			continue
		}
		if chain := firstDep(pkgs, path, peers); chain != nil {
			t.Errorf("production code imports a test peer: %s", short(chain))
		}
		p := pkgs[path]
		if slices.Contains(p.Imports, module+"/node") && !strings.HasPrefix(path, module+"/cmd/") {
			t.Errorf("%s imports node: only the commands may (node's doc.go)", short([]string{path}))
		}
		if !joinerAllowed(path) && slices.Contains(p.Imports, module+"/sip") && slices.Contains(p.Imports, module+"/ivr") {
			t.Errorf("%s joins sip and ivr: only call (and the commands wiring the server) may", short([]string{path}))
		}
	}
	for _, peer := range peers {
		if pkgs[peer] == nil {
			t.Errorf("test peer %s: no such package", peer)
		}
	}
}

// checkRule checks one package against its rule.
func checkRule(t *testing.T, pkgs map[string]*goPackage, path string, r rule) {
	t.Helper()
	name := short([]string{path})
	if chain := firstDep(pkgs, path, r.not); chain != nil {
		t.Errorf("%s must not import %s (doc.go: %q), but: %s", name, short(chain[len(chain)-1:]), r.says, short(chain))
	}
	p := pkgs[path]
	if r.only != nil {
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module+"/") && !slices.Contains(r.only, imp) {
				t.Errorf("%s imports %s; of ivrd it may import only %v (doc.go: %q)", name, short([]string{imp}), shortList(r.only), r.says)
			}
		}
	}
	if r.stdOnly {
		for _, imp := range p.Imports {
			if dep := pkgs[imp]; dep != nil && !dep.Standard && !slices.Contains(r.only, imp) {
				t.Errorf("%s imports %s, outside the standard library (doc.go: %q)", name, imp, r.says)
			}
		}
	}
}

func shortList(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = short([]string{p})
	}
	return out
}
