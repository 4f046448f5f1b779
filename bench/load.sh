#!/usr/bin/env bash
# Load test: CALLS concurrent sipp calls, each held HOLD seconds, for about
# SECONDS seconds against a fresh ivrd on 127.0.0.1. Reports successful and
# failed calls and ivrd's CPU use (from /proc, user+system).
#
#   CALLS=200 SECONDS=30 HOLD=10 bench/load.sh
#
# Everything runs on loopback with ports chosen here; every process started
# is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

CALLS=${CALLS:-100}
SECONDS_TOTAL=${SECONDS:-20}
HOLD=${HOLD:-8}
SIP_PORT=${SIP_PORT:-25060}
SIPP_PORT=${SIPP_PORT:-25070}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

command -v sipp >/dev/null || { echo "load.sh: sipp not installed (apt-get install sip-tester)" >&2; exit 1; }
[ -x bin/ivrd ] || make -s build

cfg="$OUT/load.yaml"
sed -e "s/127.0.0.1:5060/127.0.0.1:${SIP_PORT}/g" bench/load.yaml > "$cfg"

./bin/ivrd serve --config "$cfg" --log-level warn > "$OUT/ivrd.log" 2>&1 &
IVRD=$!
trap 'kill $IVRD 2>/dev/null || true; wait $IVRD 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q . /proc/$IVRD/stat 2>/dev/null && sipp -sn uac -m 0 -timeout 1 127.0.0.1:${SIP_PORT} >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 0.5

ticks() { awk '{print $14+$15}' /proc/$IVRD/stat; }
hz=$(getconf CLK_TCK)
rate=$(awk -v c="$CALLS" -v h="$HOLD" 'BEGIN{r=c/h; if (r<1) r=1; printf "%d", r+0.5}')
total=$(( rate * SECONDS_TOTAL ))
t0=$(ticks); s0=$(date +%s.%N)
sipp -sf bench/sipp/load_call.xml -s 100 -i 127.0.0.1 -p ${SIPP_PORT} -mi 127.0.0.1 \
  -r "$rate" -l "$CALLS" -m "$total" -d $((HOLD*1000)) -timeout $((SECONDS_TOTAL + HOLD + 30)) \
  -trace_stat -stf "$OUT/stat.csv" \
  -nostdin 127.0.0.1:${SIP_PORT} > "$OUT/sipp.out" 2>&1 || true
t1=$(ticks); s1=$(date +%s.%N)

ok=$(tail -1 "$OUT/stat.csv" | awk -F';' '{print $16}')    # SuccessfulCall(C)
failed=$(tail -1 "$OUT/stat.csv" | awk -F';' '{print $18}') # FailedCall(C)
cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s0="$s0" -v s1="$s1" 'BEGIN{printf "%.1f", 100*(b-a)/hz/(s1-s0)}')
echo "calls=$CALLS hold=${HOLD}s rate=${rate}/s attempted=$total successful=$ok failed=$failed ivrd_cpu=${cpu}% (of one core) wall=$(awk -v a=$s0 -v b=$s1 'BEGIN{printf "%.1f", b-a}')s"
