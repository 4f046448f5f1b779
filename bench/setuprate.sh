#!/usr/bin/env bash
# Issue 21, point 1: the SIP setup rate under full media load, with the
# pacers at real-time priority as shipped. A fresh ivrd alone on CPU 0
# (default scheduling: its pacers ask for SCHED_FIFO themselves, the rest
# of ivrd runs at normal priority); on CPU 1 a first ivrload holds
# BACKGROUND full-duplex calls (the media load), and once they are all up
# a second ivrload places SHORT calls of 1 s at SETUP_RATE a second. If a
# real-time pacer starved SIP, the second run's set-up times and failures
# show it; the first run's audio figures show whether the burst of
# signalling hurt the calls already up. Writes bench/out/setup-bg.json,
# bench/out/setup-rate.json and bench/out/setup.md.
#
#   BACKGROUND=1000 SHORT=5000 SETUP_RATE=500 bench/setuprate.sh
#
# Loopback only; every run is bounded and every process started is
# stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKGROUND=${BACKGROUND:-1000}
SHORT=${SHORT:-5000}
SETUP_RATE=${SETUP_RATE:-500}
RATE=${RATE:-200}          # the background calls' ramp
SIP_PORT=${SIP_PORT:-25060}
IVRD_CPU=${IVRD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
command -v taskset >/dev/null || { echo "setuprate.sh: taskset missing (util-linux)" >&2; exit 1; }
make -s build ivrload
ulimit -n 65536 2>/dev/null || true

cfg="$OUT/setup.yaml"
sed -e "s/127.0.0.1:5060/127.0.0.1:${SIP_PORT}/" -e 's/rtp_ports: "20000-29999"/rtp_ports: "16000-35999"/' bench/ivrload.yaml > "$cfg"
# Capacity is measured up to and past where the overload guard starts
# refusing calls (the pacers' p99 lateness past 1.5 ms, media/overload.go):
# off here, so every size is offered in full; the guard's own curve is
# bench/overload.sh's.
sed -i -e 's/^    inband: always$/    inband: always\n    overload_guard: false/' "$cfg"
grep -q "overload_guard: false" "$cfg" || { echo "setuprate.sh: could not turn the overload guard off in $cfg" >&2; exit 1; }
IVRD= BG=
stop_all() { for p in $BG $IVRD; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; BG= IVRD=; }
trap stop_all EXIT
listening() { grep -qi ":$(printf '%04X' "$1") 00000000:0000" /proc/net/udp; }

if listening "$SIP_PORT"; then echo "setuprate.sh: UDP port $SIP_PORT is taken; set SIP_PORT" >&2; exit 1; fi
taskset -c "$IVRD_CPU" ./bin/ivrd serve --config "$cfg" --log-level warn > "$OUT/setup-ivrd.log" 2>&1 &
IVRD=$!
for _ in $(seq 50); do listening "$SIP_PORT" && break; sleep 0.1; done
listening "$SIP_PORT" || { echo "setuprate.sh: ivrd did not start (see $OUT/setup-ivrd.log)" >&2; exit 1; }

ramp=$(( (BACKGROUND + RATE - 1) / RATE ))
burst=$(( (SHORT + SETUP_RATE - 1) / SETUP_RATE + 2 ))
hold=$(( ramp + 3 + burst + 5 ))   # the background outlasts the burst
echo "setuprate: $BACKGROUND calls held ${hold}s, then $SHORT 1 s calls at ${SETUP_RATE}/s" >&2
timeout $((hold + ramp + 60)) taskset -c "$LOAD_CPU" ./bin/ivrload --target "127.0.0.1:${SIP_PORT}" --to 100 \
  --calls "$BACKGROUND" --rate "$RATE" --hold "${hold}s" --rtp-ports 40000-47999 \
  --pid "$IVRD" --json "$OUT/setup-bg.json" >&2 &
BG=$!
sleep $((ramp + 3)) # the background calls are up (the ramp, then settling)
timeout $((burst + 60)) taskset -c "$LOAD_CPU" ./bin/ivrload --target "127.0.0.1:${SIP_PORT}" --to 100 \
  --calls "$SHORT" --rate "$SETUP_RATE" --hold 1s --rtp-ports 48000-59999 \
  --pid "$IVRD" --json "$OUT/setup-rate.json" >&2 || echo "setuprate: the short calls had failures" >&2
wait "$BG" || echo "setuprate: the background calls had failures" >&2
BG=
stop_all
{
  echo "Set-up rate under media load (BACKGROUND=$BACKGROUND SHORT=$SHORT SETUP_RATE=$SETUP_RATE bench/setuprate.sh; ivrd on CPU $IVRD_CPU, both ivrloads on CPU $LOAD_CPU, default scheduling):"
  echo
  echo "| run | calls | failed | set-up p50 / p99 | loss | p99 | p999 | ivrd CPU | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for f in setup-bg setup-rate; do
    jq -r --arg run "$f" '"| \($run) | \(.placed) | \(.failed) | \(.setup_p50_ms | . * 10 | round / 10) / \(.setup_p99_ms | . * 10 | round / 10) ms | \(.rtp.loss_pct | . * 1000 | round / 1000) % | \(.rtp.err_p99_ms | . * 100 | round / 100) ms | \(.rtp.err_p999_ms | . * 100 | round / 100) ms | \(if .target_cpu then "\(.target_cpu.percent_of_one_core | . * 10 | round / 10) %" else "-" end) | \(.loadavg_1min[0])-\(.loadavg_1min[1]) |"' "$OUT/$f.json"
  done
} | tee "$OUT/setup.md"
