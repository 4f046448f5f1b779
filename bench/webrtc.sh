#!/usr/bin/env bash
# Browser calls against a pinned ivrd (issue 24's figure: 300 concurrent
# WebRTC calls on one vCPU): ivrd on CPU 0 with GOMAXPROCS=1, at the
# scheduling the shipped systemd unit gives it (none asked; with one CPU
# for Go, ivrd keeps its pacers at normal priority), and
# bench/webrtcload, a process of its own, on CPU 1. Each call: SIP over
# WebSocket, ICE, DTLS-SRTP, 50 packets a second each way (PCMU, or Opus
# with CODEC=opus) for HOLD seconds. For each size it prints ivrd's CPU
# per call-second (/proc/PID/stat over the window), what the callers
# received (interval error p50/p99/p99.9, loss) and ivrd's pacer lateness
# (/metrics), and writes bench/out/webrtc-SIZE.json.
#
#   SIZES="50 300" HOLD=30 bench/webrtc.sh
#   CODEC=opus SIZES=300 bench/webrtc.sh     # both binaries built with Opus (libopus-dev)
#
# Loopback only; every run is bounded (timeout) and every process started
# is stopped on exit. Compare with bench/sweep.sh's G.711 figures (same
# menu, same prompts, in-band detection on).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"50 300"}
HOLD=${HOLD:-30}          # seconds each call lasts
RATE=${RATE:-50}          # calls started per second (each a WebSocket, an ICE check and a DTLS handshake)
SIP_PORT=${SIP_PORT:-25160}
WS_PORT=${WS_PORT:-25188}
API_PORT=${API_PORT:-25180}
IVRD_CPU=${IVRD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
CODEC=${CODEC:-pcmu}
OUT=${OUT:-bench/out}
# On a shared machine (only there): NICE=-10 (root) favours ivrd and
# webrtcload over the neighbours, and OVERLOAD_GUARD=false keeps ivrd
# taking calls while the neighbours make its pacers late (the guard
# answers 503 then, as it should on a host of its own). The defaults are
# the shipped unit's: nice 0, the guard on.
NICE=${NICE:-0}
OVERLOAD_GUARD=${OVERLOAD_GUARD:-true}
# RT=1 (root) runs both under SCHED_RR priority 10 instead (as
# bench/sweep.sh's RT=1): when a neighbour itself runs real-time on CPU 0,
# nice does not help.
RT=${RT:-0}
sched=(nice -n "$NICE")
[ "$RT" = 1 ] && sched=(chrt -r 10)
mkdir -p "$OUT"

command -v taskset >/dev/null || { echo "webrtc.sh: taskset missing (util-linux)" >&2; exit 1; }
make -s build
tags=$(pkg-config --exists opus 2>/dev/null && [ "$(go env CGO_ENABLED)" = 1 ] && echo opus,nolibopusfile || true)
make -s webrtcload

cfg="$OUT/webrtc.yaml"
sed -e "s#listen: \[\"udp://127.0.0.1:5060\"\]#listen: [\"udp://127.0.0.1:${SIP_PORT}\", \"ws://127.0.0.1:${WS_PORT}\"]#" bench/ivrload.yaml > "$cfg"
grep -q "ws://127.0.0.1:${WS_PORT}" "$cfg" || { echo "webrtc.sh: could not add the ws:// listener to $cfg" >&2; exit 1; }
case "$CODEC" in
  pcmu) ;;
  opus)
    if [ -z "$tags" ]; then
      echo "webrtc.sh: CODEC=opus needs libopus (apt-get install libopus-dev pkg-config), so ivrd and webrtcload are built with Opus" >&2; exit 1
    fi
    sed -i -e 's/^    inband: always$/    inband: always\n    codecs: [opus, PCMU, PCMA]/' "$cfg"
    grep -q "codecs: \[opus" "$cfg" || { echo "webrtc.sh: could not offer Opus in $cfg" >&2; exit 1; }
    ;;
  *) echo "webrtc.sh: CODEC=$CODEC: want pcmu or opus" >&2; exit 1 ;;
esac
if [ "$OVERLOAD_GUARD" != true ]; then
  sed -i -e 's/^    inband: always$/    inband: always\n    overload_guard: false/' "$cfg"
  grep -q "overload_guard: false" "$cfg" || { echo "webrtc.sh: could not turn the overload guard off in $cfg" >&2; exit 1; }
fi
# /metrics (no token needed) for the pacers' lateness.
sed -i -e "s/^  media:\$/  api:\n    listen: \"127.0.0.1:${API_PORT}\"\n  media:/" "$cfg"
grep -q "listen: \"127.0.0.1:${API_PORT}\"" "$cfg" || { echo "webrtc.sh: could not add the API listener to $cfg" >&2; exit 1; }

IVRD=
stop_ivrd() {
  if [ -n "$IVRD" ]; then kill "$IVRD" 2>/dev/null || true; wait "$IVRD" 2>/dev/null || true; IVRD=; fi
}
trap stop_ivrd EXIT

# listening: is anything bound to TCP port $1 on loopback?
listening() { grep -qi ":$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp; }

for n in $SIZES; do
  if listening "$WS_PORT"; then echo "webrtc.sh: TCP port $WS_PORT is taken; set WS_PORT" >&2; exit 1; fi
  GOMAXPROCS=1 "${sched[@]}" taskset -c "$IVRD_CPU" ./bin/ivrd serve --config "$cfg" --log-level warn > "$OUT/webrtc-$n-ivrd.log" 2>&1 &
  IVRD=$!
  for _ in $(seq 50); do listening "$WS_PORT" && break; sleep 0.1; done
  if ! listening "$WS_PORT" || ! kill -0 "$IVRD" 2>/dev/null; then
    echo "webrtc.sh: ivrd did not start (see $OUT/webrtc-$n-ivrd.log)" >&2; exit 1
  fi
  echo "webrtc: $n calls ($CODEC), hold ${HOLD}s, ${RATE}/s; ivrd on CPU $IVRD_CPU (GOMAXPROCS=1), webrtcload on CPU $LOAD_CPU, ${sched[*]}, overload guard $OVERLOAD_GUARD" >&2
  ramp=$(( (n + RATE - 1) / RATE ))
  timeout $((HOLD + ramp + 60)) "${sched[@]}" taskset -c "$LOAD_CPU" ./bin/webrtcload --ws "ws://127.0.0.1:${WS_PORT}" --to 100 \
    --calls "$n" --rate "$RATE" --hold "${HOLD}s" --codec "$CODEC" --pid "$IVRD" \
    --metrics "http://127.0.0.1:${API_PORT}/metrics" --json "$OUT/webrtc-$n.json" || echo "webrtc: webrtcload reported failures at $n calls" >&2
  stop_ivrd
  sleep 1
done
