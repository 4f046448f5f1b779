#!/usr/bin/env bash
# Issue 23: what an `ask` step adds to the caller's wait beyond the
# decision service's own time, with CALLS asks in flight at once.
#
# A fresh ivrd alone on CPU 0 (default scheduling; RT=1: SCHED_RR) runs a menu whose key
# 1 asks a local decision service (`ivrload service` on CPU 1, loopback
# HTTP) that answers every request after DELAY_MS with a destination, a
# SIP URI the call is handed to by REFER. ivrload (CPU 1) sets up CALLS
# calls, then every call presses 1 at the same moment (--digit-at: RFC
# 4733) and measures, per call, from its key's first packet to ivrd's
# REFER. A second run presses 2 instead, which hands the call to the same
# URI without asking: the part of that wait that is not the ask (the key
# heard, the menu's reaction, the REFER sent), at the same concurrency.
#
#   CALLS=500 DELAY_MS=200 bench/ask.sh
#   CALLS=500 DELAY_MS=200 SPREAD_MS=200 bench/ask.sh   # presses over 200 ms
#
# Prints: the ask run's key-to-REFER wait minus DELAY_MS (the added wait)
# at p50 / p99 / max, the same without the ask, the service's own hold
# time and how many requests it had in flight at once, and the calls
# that took the fallback (must be 0). Writes bench/out/ask-*.json and
# bench/out/ask.md.
#
# The configuration lifts the per-URL limit (ask.max_concurrent, default
# 100: calls beyond it would take the fallback at once) to 1000, so that
# CALLS up to that many asks are all sent; the circuit breaker opens only
# after 5 failures in a row, and a run where the service answers every
# request never has one. Loopback only; every process started is stopped
# on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CALLS=${CALLS:-500}
DELAY_MS=${DELAY_MS:-200}
# SPREAD_MS spreads the key presses evenly over that long (0: every call
# presses in the same millisecond, a burst of CALLS asks, the hardest
# case). SPREAD_MS=DELAY_MS still has about CALLS asks waiting at once,
# started at CALLS/DELAY asks a second rather than all together.
SPREAD_MS=${SPREAD_MS:-0}
# WARM=1 (the default) runs each case twice against the same ivrd and
# service and measures the second round: the first fills ivrd's pool of
# connections to the service, as a service in steady use finds it (the
# pool keeps up to ask.max_concurrent idle connections per host for 90 s).
# WARM=0 measures a cold burst: every ask opens its own connection.
WARM=${WARM:-1}
RATE=${RATE:-200}          # the calls' set-up ramp
SIP_PORT=${SIP_PORT:-25160}
API_PORT=${API_PORT:-25180}
SVC_PORT=${SVC_PORT:-25190}
IVRD_CPU=${IVRD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
# GUARD=0 turns the overload guard off (it is on, as shipped): on a
# machine whose neighbours make the pacers late it refuses calls (503).
GUARD=${GUARD:-1}
GUARD_SETTING=true
[ "$GUARD" = 0 ] && GUARD_SETTING=false
# RT=1 (root) runs ivrd, ivrload and the service under SCHED_RR 10, as
# sweep.sh's RT does: for a machine whose other work cannot be stopped.
RT=${RT:-0}
sched=()
[ "$RT" = 1 ] && sched=(chrt -r 10)
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
command -v taskset >/dev/null || { echo "ask.sh: taskset missing (util-linux)" >&2; exit 1; }
command -v jq >/dev/null || { echo "ask.sh: jq missing" >&2; exit 1; }
[ "$CALLS" -le 1000 ] || { echo "ask.sh: CALLS=$CALLS: the configuration allows 1000 asks at once" >&2; exit 1; }
make -s build ivrload
ulimit -n 65536 2>/dev/null || true

cfg="$OUT/ask.yaml"
cat >"$cfg" <<EOF
# bench/ask.sh: key 1 asks the local service, key 2 goes to the same URI
# without asking (the baseline).
server:
  sip: { listen: ["udp://127.0.0.1:${SIP_PORT}"] }
  media: { rtp_ports: "20000-29999", overload_guard: ${GUARD_SETTING} }
  api: { listen: "127.0.0.1:${API_PORT}" }
  store: "sqlite://ask-data/ivrd.db"
trunks:
  - { name: loadgen, uri: "sip:127.0.0.1:5070", inbound_from: ["127.0.0.1"] }
ask:
  allow_private: true   # the service is on loopback
  max_concurrent: 1000  # per URL (default 100): every one of CALLS asks is sent
  timeout: 5s
ivrs:
  - id: load
    extensions: ["100"]
    prompt: main-choices
    prompt_repeat: 5
    response_timeout: 10s
    keys:
      "1":
        ask: "http://127.0.0.1:${SVC_PORT}/decide"
        fallback: { uri: "sip:fallback@127.0.0.1:5070" }
      "2": { uri: "sip:sales@127.0.0.1:5070" }
EOF
rm -rf "$OUT/ask-data"

IVRD= SVC=
stop_all() { for p in $SVC $IVRD; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; SVC= IVRD=; }
trap stop_all EXIT

ramp=$(( (CALLS + RATE - 1) / RATE ))
press=$(( ramp + 3 ))      # every call is up and settled
hold=$(( press + 5 ))
run() { # run NAME KEY
  local name=$1 key=$2
  if listening "$SIP_PORT"; then echo "ask.sh: UDP port $SIP_PORT is taken; set SIP_PORT" >&2; exit 1; fi
  taskset -c "$LOAD_CPU" ${sched[@]+"${sched[@]}"} ./bin/ivrload service --listen "127.0.0.1:${SVC_PORT}" --delay "${DELAY_MS}ms" \
    --answer '{"uri": "sip:sales@127.0.0.1:5070"}' --json "$OUT/ask-$name-service.json" >&2 &
  SVC=$!
  taskset -c "$IVRD_CPU" ${sched[@]+"${sched[@]}"} ./bin/ivrd serve --config "$cfg" --log-level warn >"$OUT/ask-$name-ivrd.log" 2>&1 &
  IVRD=$!
  wait_for listening "$SIP_PORT" && wait_for tcp_listening "$SVC_PORT" ||
    { echo "ask.sh: ivrd or the service did not start (see $OUT/ask-$name-ivrd.log)" >&2; exit 1; }
  if [ "$WARM" = 1 ]; then
    echo "ask: warm-up round ($name)" >&2
    timeout $((hold + ramp + 60)) taskset -c "$LOAD_CPU" ${sched[@]+"${sched[@]}"} ./bin/ivrload --target "127.0.0.1:${SIP_PORT}" --to 100 \
      --calls "$CALLS" --rate "$RATE" --hold "${hold}s" --rtp-ports 40000-49999 --digit "$key" --digit-at "${press}s" --digit-spread "${SPREAD_MS}ms" \
      --expect refer --json "$OUT/ask-$name-warmup.json" >&2 || echo "ask: ivrload reported failures ($name, warm-up)" >&2
    kill -USR1 "$SVC"
  fi
  echo "ask: $CALLS calls, every one presses $key at ${press}s, service answers after ${DELAY_MS} ms" >&2
  timeout $((hold + ramp + 60)) taskset -c "$LOAD_CPU" ${sched[@]+"${sched[@]}"} ./bin/ivrload --target "127.0.0.1:${SIP_PORT}" --to 100 \
    --calls "$CALLS" --rate "$RATE" --hold "${hold}s" --rtp-ports 40000-49999 --digit "$key" --digit-at "${press}s" --digit-spread "${SPREAD_MS}ms" \
    --expect refer --pid "$IVRD" --json "$OUT/ask-$name.json" >&2 || echo "ask: ivrload reported failures ($name)" >&2
  kill "$SVC"; wait "$SVC" || true; SVC=
  FALLBACKS=$(grep -c "no usable answer" "$OUT/ask-$name-ivrd.log" || true)
  stop_all
  sleep 1
}
run direct 2
direct_fallbacks=$FALLBACKS
run ask 1
ask_fallbacks=$FALLBACKS

r1() { jq -r "$1 | . * 100 | round / 100" "$2"; }
{
  echo "An ask at $CALLS at once (CALLS=$CALLS DELAY_MS=$DELAY_MS SPREAD_MS=$SPREAD_MS WARM=$WARM bench/ask.sh; ivrd on CPU $IVRD_CPU, ivrload and the service on CPU $LOAD_CPU, ${sched[*]:-default scheduling}; ask.max_concurrent 1000):"
  echo
  echo "| run | calls | REFERs | key to REFER p50 / p99 / max | added wait (minus ${DELAY_MS} ms) p50 / p99 / max | service held p50 / p99 / max | asks in flight at once | asks arrived within | fallbacks | ivrd CPU | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for name in direct ask; do
    j="$OUT/ask-$name.json" s="$OUT/ask-$name-service.json"
    fb=$direct_fallbacks; [ "$name" = ask ] && fb=$ask_fallbacks
    added="-" held="-" inflight="-" spread="-"
    if [ "$name" = ask ]; then
      added="$(jq -r --argjson d "$DELAY_MS" '.digit | [.latency_p50_ms, .latency_p99_ms, .latency_max_ms] | map(. - $d | . * 100 | round / 100) | join(" / ")' "$j") ms"
      held="$(r1 .held_p50_ms "$s") / $(r1 .held_p99_ms "$s") / $(r1 .held_max_ms "$s") ms"
      inflight=$(jq -r .max_in_flight "$s")
      spread="$(r1 .arrival_spread_ms "$s") ms"
    fi
    echo "| $name | $(jq -r .placed "$j") | $(jq -r .digit.actions "$j") | $(r1 .digit.latency_p50_ms "$j") / $(r1 .digit.latency_p99_ms "$j") / $(r1 .digit.latency_max_ms "$j") ms | $added | $held | $inflight | $spread | $fb | $(jq -r 'if .target_cpu then "\(.target_cpu.percent_of_one_core | . * 10 | round / 10) %" else "-" end' "$j") | $(jq -r '.loadavg_1min | join("-")' "$j") |"
  done
} | tee "$OUT/ask.md"
