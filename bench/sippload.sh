#!/usr/bin/env bash
# Issue 21's cross-check (make bench-sipp): the pinned sweep of
# bench/sweep.sh with an independent SIP caller. sipp places the calls
# (bench/sipp/agent_call.xml: INVITE, ACK, hold, BYE; call i offers RTP
# port 40000+2i from an injection file) and `ivrload agent` is every
# call's phone: bound to those ports, it answers ivrd's audio from the
# port offered (symmetric RTP), 50 packets/s of PCMU per call evenly
# spread over the 20 ms period, and measures ivrd's audio with kernel
# timestamps over the steady stretch. ivrd alone on CPU 0, sipp and the
# agent on CPU 1, default scheduling as deployed; the same configuration
# (bench/ivrload.yaml: in-band detection on every call) and the same
# columns as sweep.sh. Writes bench/out/sipp-SIZE.json, the sipp
# statistics bench/out/sipp-SIZE.csv, bench/out/sipp.md and the table to
# stdout. Run it right after `make bench-load` with the same SIZES and
# HOLD to compare the two harnesses on one build.
#
#   SIZES="1000" HOLD=30 bench/sippload.sh
#
# HOLD must exceed the ramp (SIZE/RATE s) by 4 s or more: the window is
# from the ramp's end + 2 s to HOLD − 0.5 s after the first INVITE.
# Loopback only; every run is bounded and every process started is
# stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"400 1000"}
HOLD=${HOLD:-30}          # seconds each call lasts
RATE=${RATE:-200}         # calls started per second
SIP_PORT=${SIP_PORT:-25060}
SIPP_PORT=${SIPP_PORT:-25070}
RTP_MIN=${RTP_MIN:-40000} # call i offers RTP_MIN+2i
IVRD_CPU=${IVRD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
SLOTS=${SLOTS:-}          # the agent's sending slots per 20 ms, as sweep.sh's SLOTS
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

command -v sipp >/dev/null || { echo "sippload.sh: sipp not installed (apt-get install sip-tester)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "sippload.sh: taskset missing (util-linux)" >&2; exit 1; }
make -s build ivrload
ulimit -n 65536 2>/dev/null || true

cfg="$OUT/sipp.yaml"
sed -e "s/127.0.0.1:5060/127.0.0.1:${SIP_PORT}/" bench/ivrload.yaml > "$cfg"
# Capacity is measured up to and past where the overload guard starts
# refusing calls (the pacers' p99 lateness past 1.5 ms, media/overload.go):
# off here, so every size is offered in full; the guard's own curve is
# bench/overload.sh's.
sed -i -e 's/^    inband: always$/    inband: always\n    overload_guard: false/' "$cfg"
grep -q "overload_guard: false" "$cfg" || { echo "sippload.sh: could not turn the overload guard off in $cfg" >&2; exit 1; }

IVRD=
AGENT=
SIPP=
stop_all() {
  for p in $SIPP $AGENT $IVRD; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  SIPP= AGENT= IVRD=
}
trap stop_all EXIT
listening() { grep -qi ":$(printf '%04X' "$1") 00000000:0000" /proc/net/udp; }

files=()
sipp_rows=()
for n in $SIZES; do
  ramp=$(( (n + RATE - 1) / RATE ))
  if [ $((ramp + 4)) -gt "$HOLD" ]; then echo "sippload.sh: $n calls at $RATE/s ramp over ${ramp}s: HOLD must be at least $((ramp + 4))" >&2; exit 1; fi
  if [ $((RTP_MIN + 2 * n)) -gt 65535 ]; then echo "sippload.sh: $n calls from RTP port $RTP_MIN do not fit" >&2; exit 1; fi
  if listening "$SIP_PORT"; then echo "sippload.sh: UDP port $SIP_PORT is taken; set SIP_PORT" >&2; exit 1; fi
  taskset -c "$IVRD_CPU" ./bin/ivrd serve --config "$cfg" --log-level warn > "$OUT/sipp-$n-ivrd.log" 2>&1 &
  IVRD=$!
  for _ in $(seq 50); do listening "$SIP_PORT" && break; sleep 0.1; done
  if ! listening "$SIP_PORT" || ! kill -0 "$IVRD" 2>/dev/null; then
    echo "sippload.sh: ivrd did not start (see $OUT/sipp-$n-ivrd.log)" >&2; exit 1
  fi

  inf="$OUT/sipp-$n-ports.csv"
  { echo SEQUENTIAL; for ((i = 0; i < n; i++)); do echo "$((RTP_MIN + 2 * i));"; done; } > "$inf"
  json="$OUT/sipp-$n.json"
  rm -f "$json" "$OUT/sipp-$n.csv"
  echo "sippload: $n calls by sipp, hold ${HOLD}s, ${RATE}/s, media by ivrload agent" >&2
  timeout $((HOLD + ramp + 60)) taskset -c "$LOAD_CPU" ./bin/ivrload agent --rtp-port-min "$RTP_MIN" --calls "$n" \
    --from "$((ramp + 2))s" --to "$((HOLD * 1000 - 500))ms" --until "$((HOLD + ramp + 5))s" \
    --pid "$IVRD" --target "127.0.0.1:${SIP_PORT} (sipp)" --json "$json" ${SLOTS:+--slots "$SLOTS"} >&2 &
  AGENT=$!
  last=$((RTP_MIN + 2 * (n - 1)))
  for _ in $(seq 100); do listening "$last" && break; sleep 0.1; done
  listening "$last" || { echo "sippload.sh: the agent did not bind its ports" >&2; exit 1; }
  timeout $((HOLD + ramp + 50)) taskset -c "$LOAD_CPU" sipp -sf bench/sipp/agent_call.xml -inf "$inf" -s 100 \
    -i 127.0.0.1 -p "$SIPP_PORT" -mi 127.0.0.1 -r "$RATE" -l "$n" -m "$n" -d $((HOLD * 1000)) \
    -timeout $((HOLD + ramp + 40)) -trace_stat -stf "$OUT/sipp-$n.csv" -nostdin "127.0.0.1:${SIP_PORT}" \
    > "$OUT/sipp-$n.out" 2>&1 &
  SIPP=$!
  wait "$SIPP" || true
  SIPP=
  wait "$AGENT" || echo "sippload: the agent reports calls without audio at $n calls" >&2
  AGENT=
  stop_all
  ok=$(tail -1 "$OUT/sipp-$n.csv" | awk -F';' '{print $16}')     # SuccessfulCall(C)
  failed=$(tail -1 "$OUT/sipp-$n.csv" | awk -F';' '{print $18}') # FailedCall(C)
  sipp_rows+=("| $n | ${ok:-?} | ${failed:-?} |")
  files+=("$json")
  sleep 1
done
{
  echo "sipp calls, media by \`ivrload agent\` (SIZES=\"$SIZES\" HOLD=$HOLD RATE=$RATE bench/sippload.sh; ivrd on CPU $IVRD_CPU, sipp and the agent on CPU $LOAD_CPU, default scheduling):"
  echo
  ./bin/ivrload table "${files[@]}"
  echo
  echo "| calls | sipp successful | sipp failed |"
  echo "|---|---|---|"
  printf '%s\n' "${sipp_rows[@]}"
} | tee "$OUT/sipp.md"
