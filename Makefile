# ivrd — the two commands a new user needs are `make run` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Opus (package audio/opus) links libopus through cgo, so it is built in
# only where pkg-config finds libopus (Debian: libopus-dev) and cgo has a
# C compiler; elsewhere ivrd stays pure Go and refuses "opus" in codecs,
# saying it was built without it. nolibopusfile leaves out the binding's
# Ogg file reader (libopusfile), which ivrd does not use. TAGS= builds
# without Opus.
TAGS    ?= $(shell pkg-config --exists opus 2>/dev/null && [ "$$($(GO) env CGO_ENABLED)" = 1 ] && echo opus,nolibopusfile)
GOTAGS  := $(if $(TAGS),-tags $(TAGS))

.PHONY: build run test test-short race fuzz bench load vet fmt clean lint ui-vendor ui-test-vendor ui-screenshots sipjs-vendor jssip-vendor

build:
	$(GO) build $(GOTAGS) -ldflags "$(LDFLAGS)" -o bin/ivrd ./cmd/ivrd

# The load generator (cmd/ivrload): see README, "Load testing your IVR".
.PHONY: ivrload bench-load diago-ivr bench-sidebyside bench-floor bench-overload bench-sipp bench-setup
ivrload:
	$(GO) build $(GOTAGS) -ldflags "$(LDFLAGS)" -o bin/ivrload ./cmd/ivrload

# The browser-call load generator (bench/webrtcload: SIP over WebSocket,
# ICE, DTLS-SRTP) and its pinned run against ivrd (bench/webrtc.sh; SIZES,
# HOLD, CODEC=opus as there): see README, "Calling from a browser".
.PHONY: webrtcload bench-webrtc
webrtcload:
	$(GO) build $(GOTAGS) -o bin/webrtcload ./bench/webrtcload
bench-webrtc:
	bench/webrtc.sh

# The Go peer of the side-by-side measurement: an IVR on emiago/diago
# (bench/diago, its own module, so ivrd's go.mod never gains diago's
# dependencies).
diago-ivr:
	cd bench/diago && $(GO) build -o ../../bin/diago-ivr .

# Serves the bundled example IVR (examples/main.yaml, embedded) on
# 127.0.0.1:5060 UDP and TCP with the bundled prompts.
run: build
	./bin/ivrd serve

# Every test, including the sipp end-to-end call when sipp is installed
# (.ci/run installs it).
#
# Package tests that share nothing call t.Parallel(); most of their time
# is spent waiting on the network and timers, not the CPU, so more of them
# run at once than the machine has cores (go test's default).
PARALLEL ?= 8
test:
	$(GO) vet $(GOTAGS) ./...
	$(GO) test $(GOTAGS) -count=1 -parallel $(PARALLEL) -timeout 9m ./...

test-short:
	$(GO) test $(GOTAGS) -short -count=1 ./...

# The unit and package tests again under the race detector (needs a C
# compiler: cgo). The heavy system tests (external peers, load, browsers)
# skip themselves in a -race build (internal/testenv.SkipUnderRace): they
# run once, in make test.
race:
	$(GO) test $(GOTAGS) -race -count=1 -parallel $(PARALLEL) -timeout 9m ./...

# A short run of every fuzz target (FUZZTIME per target).
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list $(GOTAGS) ./...); do \
	  for f in $$($(GO) test $(GOTAGS) -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test $(GOTAGS) -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench:
	$(GO) test $(GOTAGS) -run '^$$' -bench . -benchmem ./audio/... ./media/ ./dtmf/ ./bench/

# Load test with sipp: CALLS concurrent calls for SECONDS (see bench/load.sh).
load: build
	bench/load.sh

# The pinned capacity sweep of issue 12 with ivrload: ivrd on CPU 0,
# ivrload on CPU 1, SIZES concurrent calls held HOLD seconds each
# (see bench/sweep.sh); the table goes to bench/out/sweep.md.
bench-load:
	bench/sweep.sh

# A bounded chaos run (e2e/chaos_test.go, issue 26; not part of make
# test): three nodes behind Kamailio on a PostgreSQL server of its own,
# sipp menu calls at CHAOS_RATE a second, each waiting CHAOS_HOLD seconds
# (at most 20) before its key, bridged calls (to a sipp far end, held as
# long) at a quarter of that rate (IVRD_CHAOS_BRIDGE_RATE to change it),
# and voicemails left and checked (a check every IVRD_CHAOS_CHECK_EVERY,
# 3, deposits) through Kamailio for CHAOS_MINUTES, nodes SIGKILLed and
# restarted at random, PostgreSQL paused once and restarted once; then
# the invariants (no record left 'started', every webhook event
# delivered, every voicemail kept, every check hearing a message unless
# its node was killed, every completed call recorded). Calls in
# progress: about 1.25 x CHAOS_RATE x (CHAOS_HOLD + 1). Needs kamailio,
# sipp and PostgreSQL's server programs. The report:
# bench/out/chaos.md. The issue's half hour with a few hundred calls at
# once: CHAOS_MINUTES=30 CHAOS_RATE=20 CHAOS_HOLD=12 make chaos.
CHAOS_MINUTES ?= 3
CHAOS_RATE ?= 4
CHAOS_HOLD ?= $(or $(IVRD_CHAOS_HOLD),1)
.PHONY: chaos
chaos:
	IVRD_CHAOS_MINUTES=$(CHAOS_MINUTES) IVRD_CHAOS_RATE=$(CHAOS_RATE) IVRD_CHAOS_HOLD=$(CHAOS_HOLD) \
	  IVRD_CHAOS_REPORT=$(CURDIR)/bench/out/chaos.md \
	  $(GO) test -count=1 -v -run '^TestChaos$$' -timeout $$(( $(CHAOS_MINUTES) + 20 ))m ./e2e/

# ivrd and the diago peer in one run, the same harness and pinning:
# the most calls each holds at p99 < 4 ms and loss < 0.1 % (see
# bench/sidebyside.sh); the table goes to bench/out/sidebyside.md.
bench-sidebyside:
	bench/sidebyside.sh

# The kernel's floor beside ivrd's figure, by epoll and by io_uring, three
# rounds (see bench/floor.sh).
bench-floor:
	bench/floor.sh

# The overload curve: calls offered from below capacity to twice it, the
# guard on as shipped; admitted, refused (503) and the admitted calls'
# quality, drawn by bench/plot (see bench/overload.sh).
bench-overload:
	bench/overload.sh

# The cross-check of bench-load with an independent SIP caller: sipp
# places the calls, `ivrload agent` is their phones (evenly spread audio
# both ways); the same pinning and columns (see bench/sippload.sh).
bench-sipp:
	bench/sippload.sh

# Conference rooms (3 x 10 talkers) and a queue (200 waiting callers)
# under load, pinned as bench-load is (see bench/rooms.sh).
.PHONY: bench-rooms
bench-rooms:
	MODE=conference bench/rooms.sh
	MODE=queue bench/rooms.sh

# SIP set-up rate while the pacers carry a full media load (see
# bench/setuprate.sh).
bench-setup:
	bench/setuprate.sh

# Issue 23: an ask step's added wait with 500 asks at once, and 1,000
# calls in a gather on one vCPU; issue 26: what durable starts cost the
# set-up rate at 1,000 calls/s (SQLite and PostgreSQL), and what a call
# costs PostgreSQL and Kamailio, and that a node rides through a
# PostgreSQL restart under load losing nothing (see bench/ask.sh,
# gathers.sh, durability.sh, cluster_cost.sh, pgrestart.sh; tables in
# bench/out/*.md).
.PHONY: bench-ask bench-gathers bench-durability bench-cluster-cost bench-pgrestart
bench-ask:
	bench/ask.sh
bench-gathers:
	bench/gathers.sh
bench-durability:
	bench/durability.sh
bench-cluster-cost:
	bench/cluster_cost.sh
bench-pgrestart:
	bench/pgrestart.sh

vet:
	$(GO) vet $(GOTAGS) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin

# golangci-lint, pinned in tools/go.mod (its own module, so its
# dependencies stay out of ivrd's go.mod).
lint:
	$(GO) tool -modfile=tools/go.mod golangci-lint run $(if $(TAGS),--build-tags $(TAGS)) ./...

# The web UI's one third-party file, the graph layout library, vendored
# unmodified from the npm registry (needs npm only to re-fetch; the build
# and the tests never do). npm pack checks the registry's integrity hash.
DAGRE_VERSION ?= 3.1.3
UI_VENDOR     := ui/static/vendor/dagre
# SIP.js, the third-party browser SIP stack of the interop test
# (node/webrtc_sipjs_test.go): its ES modules (lib/**/*.js, no
# dependencies, no build step) and licence, from the npm registry.
SIPJS_VERSION = 0.21.2
SIPJS_VENDOR = node/testdata/sipjs
sipjs-vendor:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent sip.js@$(SIPJS_VERSION) >/dev/null && \
	  tar xzf sip.js-$(SIPJS_VERSION).tgz && cd - >/dev/null && rm -rf $(SIPJS_VENDOR) && mkdir -p $(SIPJS_VENDOR) && \
	  (cd $$tmp/package && find lib -name '*.js' -exec install -D -m 644 {} $(CURDIR)/$(SIPJS_VENDOR)/{} \;) && \
	  cp $$tmp/package/LICENSE.md $(SIPJS_VENDOR)/ && \
	  echo "sip.js $(SIPJS_VERSION) (npm, MIT): lib/**/*.js, LICENSE.md; refresh with: make sipjs-vendor" > $(SIPJS_VENDOR)/VERSION && \
	  rm -rf $$tmp

# JsSIP, the second browser SIP stack of the interop tests
# (node/webrtc_jssip_test.go). Its npm package ships CommonJS modules
# only (lib/*.js, no browser bundle since 3.x) and needs three small
# packages (debug with ms, events, sdp-transform): npm install resolves
# them, and their .js files, package.json and licences are copied
# unmodified under node_modules/; the test page loads them with a few
# lines of require() of its own, so there is no bundler and no build
# step. VERSION lists every package's version and licence.
JSSIP_VERSION = 3.13.8
JSSIP_VENDOR = node/testdata/jssip
jssip-vendor:
	@tmp=$$(mktemp -d) && cd $$tmp && echo '{}' > package.json && \
	  npm install --silent --no-save --ignore-scripts --no-audit --no-fund jssip@$(JSSIP_VERSION) && \
	  cd - >/dev/null && rm -rf $(JSSIP_VENDOR) && mkdir -p $(JSSIP_VENDOR) && \
	  (cd $$tmp && find node_modules -path '*/test*' -prune -o \( -name '*.js' -o -name package.json -o -iname 'licen[sc]e*' \) -type f -print | \
	    grep -v -e '/\.[^/]*$$' -e '\.d\.ts$$' -e 'npm-scripts' -e '/checker\.js$$' | while read -r f; do install -D -m 644 "$$f" "$(CURDIR)/$(JSSIP_VENDOR)/$$f"; done) && \
	  (echo "JsSIP $(JSSIP_VERSION) and what it requires, from npm (refresh with: make jssip-vendor):"; \
	   for d in $$tmp/node_modules/*/; do jq -r '"  " + .name + " " + .version + " (" + .license + ")"' "$$d/package.json"; done) > $(JSSIP_VENDOR)/VERSION && \
	  rm -rf $$tmp

ui-vendor:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent @dagrejs/dagre@$(DAGRE_VERSION) >/dev/null && \
	  tar xzf dagrejs-dagre-$(DAGRE_VERSION).tgz && cd - >/dev/null && \
	  cp $$tmp/package/dist/dagre.esm.js $$tmp/package/LICENSE $(UI_VENDOR)/ && \
	  echo "@dagrejs/dagre $(DAGRE_VERSION) (npm, MIT): dist/dagre.esm.js, LICENSE" > $(UI_VENDOR)/VERSION && \
	  rm -rf $$tmp && sha256sum $(UI_VENDOR)/dagre.esm.js

# The accessibility audit's engine, used by the browser tests only (not
# served, not in the binary): axe-core from the npm registry, unmodified.
AXE_VERSION   ?= 4.14.1
AXE_VENDOR    := node/testdata/axe-core
ui-test-vendor:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && \
	  tar xzf axe-core-$(AXE_VERSION).tgz && cd - >/dev/null && mkdir -p $(AXE_VENDOR) && \
	  cp $$tmp/package/axe.min.js $$tmp/package/LICENSE $$tmp/package/LICENSE-3RD-PARTY.txt $(AXE_VENDOR)/ && \
	  echo "axe-core $(AXE_VERSION) (npm, MPL-2.0): axe.min.js, LICENSE, LICENSE-3RD-PARTY.txt" > $(AXE_VENDOR)/VERSION && \
	  rm -rf $$tmp && sha256sum $(AXE_VENDOR)/axe.min.js

# The README's screenshots of the web UI, from its browser tests.
ui-screenshots:
	IVRD_UI_SCREENSHOTS=1 $(GO) test $(GOTAGS) -count=1 -run 'TestUI(EndToEnd|DraftPublishRollback|RealCallPathOnTheChart|QueuesLive)$$' ./node/
