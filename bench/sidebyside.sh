#!/usr/bin/env bash
# Issue 21's side-by-side (make bench-sidebyside): ivrd and the Go peer on
# emiago/diago (bench/diago, bin/diago-ivr) in ONE run with the same
# harness and pinning as bench/sweep.sh: the server alone on CPU 0
# (taskset -c 0), ivrload on CPU 1, default scheduling for both processes
# as deployed (ivrd's own media pacers ask for SCHED_FIFO as the systemd
# unit lets them; diago has no such thing). Both servers answer the same
# calls: greeting, then the menu prompt looped (the same WAV files), the
# caller sending 50 packets/s of PCMU, RFC 4733 digits read.
#
# A step search: for each size in SIZES (ascending), a fresh server of
# each kind still in the race takes SIZE calls held HOLD seconds; a size
# passes when no call failed, loss < LOSS_PCT % and p99 abs(Δt − 20 ms)
# < P99_MS over the steady stretch; a server leaves the race at its first
# failing size. Sizes alternate between the servers (ivrd, diago, ivrd,
# ...) so that both meet the same background. Writes bench/out/sbs-*.json,
# bench/out/sidebyside.md (command, scheduling, load average, every run,
# and the most calls each held), and the summary to stdout.
#
#   SIZES="200 400 600 800 1000 1200 1600 2000" HOLD=20 bench/sidebyside.sh
#
# SIZES_IVRD and SIZES_DIAGO give one server its own sizes (SIZES by
# default), so that each knee is searched in fine steps without running
# the other server's range: the i-th size of each list still runs side by
# side in time (ivrd's i-th, diago's i-th, then the (i+1)-th), e.g.
#
#   SIZES_DIAGO="500 550 600 650 700 750 800" \
#   SIZES_IVRD="1500 1600 1700 1800 1900 2000 2100 2200" bench/sidebyside.sh
#
# KEY=1 makes every call press 1 (RFC 4733) DIGIT_AFTER seconds after the
# answer, and ivrload check that both servers transfer it (REFER, then
# their BYE), as ivrd's bench menu does: the calls then end there, so the
# steady stretch is shorter. Loopback only; every run is bounded
# (timeout) and every process started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# IVRD_BIN runs another ivrd binary (an A/B of two builds; make build
# still builds bin/ivrd).
IVRD_BIN=${IVRD_BIN:-./bin/ivrd}

SIZES=${SIZES:-"200 400 600 800 1000 1200 1600 2000 2400"}
own_sizes="${SIZES_IVRD:+ SIZES_IVRD=\"$SIZES_IVRD\"}${SIZES_DIAGO:+ SIZES_DIAGO=\"$SIZES_DIAGO\"}" # for the command line shown
SIZES_IVRD=${SIZES_IVRD:-$SIZES}
SIZES_DIAGO=${SIZES_DIAGO:-$SIZES}
SERVERS=${SERVERS:-"ivrd diago"}
HOLD=${HOLD:-20}          # seconds each call lasts
RATE=${RATE:-200}         # calls started per second
P99_MS=${P99_MS:-4}       # the bar: p99 abs(Δt − 20 ms) below this
LOSS_PCT=${LOSS_PCT:-0.1} # and loss below this (percent)
SIP_PORT=${SIP_PORT:-25060}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
KEY=${KEY:-}
DIGIT_AFTER=${DIGIT_AFTER:-$((HOLD > 4 ? HOLD - 3 : 1))}
OUT=${OUT:-bench/out}
# INBAND: ivrd's in-band tone detection. auto (ivrd's default: tones are
# listened for only on calls that did not negotiate telephone-event, and
# ivrload offers it) gives ivrd the diago peer's job: RFC 4733 digits
# only. always runs the detector on every call besides (issue 21's
# 1,000-call figure is with it), a job diago does not do.
INBAND=${INBAND:-auto}
case "$INBAND" in auto|always) ;; *) echo "sidebyside.sh: INBAND=$INBAND: want auto or always" >&2; exit 1 ;; esac
# RT=1 (root) runs the server and ivrload under SCHED_RR priority 10, as
# bench/sweep.sh does: on a machine whose other work cannot be stopped,
# the closest to having the two cores to themselves. Not as deployed:
# say so next to figures measured with it.
RT=${RT:-0}
sched=()
rt_note=
[ "$RT" = 1 ] && sched=(chrt -r 10) && rt_note=" RT=1"
mkdir -p "$OUT"

for tool in taskset jq; do
  command -v "$tool" >/dev/null || { echo "sidebyside.sh: $tool missing" >&2; exit 1; }
done
make -s build ivrload diago-ivr
ulimit -n 65536 2>/dev/null || true # ivrd holds two sockets per call

cfg="$OUT/sidebyside.yaml"
sed -e "s/127.0.0.1:5060/127.0.0.1:${SIP_PORT}/" bench/ivrload.yaml > "$cfg"
# Capacity is measured up to and past where the overload guard starts
# refusing calls (the pacers' p99 lateness past 1.5 ms, media/overload.go):
# off here, so every size is offered in full; the guard's own curve is
# bench/overload.sh's.
sed -i -e "s/^    inband: always\$/    inband: $INBAND\n    overload_guard: false/" "$cfg"
grep -q "overload_guard: false" "$cfg" || { echo "sidebyside.sh: could not turn the overload guard off in $cfg" >&2; exit 1; }
grep -q "inband: $INBAND" "$cfg" || { echo "sidebyside.sh: could not set inband: $INBAND in $cfg" >&2; exit 1; }
key_args=()
[ -n "$KEY" ] && key_args=(--digit "$KEY" --digit-after "${DIGIT_AFTER}s" --expect refer)

SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; fi
}
trap stop_server EXIT

# listening: is anything bound to UDP port $1 on loopback?
listening() { grep -qi ":$(printf '%04X' "$1") 00000000:0000" /proc/net/udp; }

# start_server KIND LOG: the server alone on SERVER_CPU, default scheduling.
start_server() {
  case "$1" in
    ivrd) ${sched[@]+"${sched[@]}"} taskset -c "$SERVER_CPU" "$IVRD_BIN" serve --config "$cfg" --log-level warn > "$2" 2>&1 & ;;
    diago) ${sched[@]+"${sched[@]}"} taskset -c "$SERVER_CPU" ./bin/diago-ivr --listen "127.0.0.1:${SIP_PORT}" --prompts prompts/builtin \
             --rtp-ports 20000-29999 --key 1 --refer-to "sip:sales@127.0.0.1:5070" > "$2" 2>&1 & ;;
    *) echo "sidebyside.sh: server $1: want ivrd or diago" >&2; exit 1 ;;
  esac
  SERVER_PID=$!
}

rows=()
declare -A best alive sizes
for s in $SERVERS; do best[$s]=0; alive[$s]=1; done
sizes[ivrd]=$SIZES_IVRD
sizes[diago]=$SIZES_DIAGO
steps=0
for s in $SERVERS; do
  k=$(wc -w <<< "${sizes[$s]:-}")
  [ "$k" -gt "$steps" ] && steps=$k
done
started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
for i in $(seq "$steps"); do
  for s in $SERVERS; do
    [ "${alive[$s]}" = 1 ] || continue
    n=$(awk -v i="$i" '{print $i}' <<< "${sizes[$s]:-}")
    [ -n "$n" ] || continue
    if listening "$SIP_PORT"; then echo "sidebyside.sh: UDP port $SIP_PORT is taken; set SIP_PORT" >&2; exit 1; fi
    log="$OUT/sbs-$s-$n.log"
    start_server "$s" "$log"
    for _ in $(seq 50); do listening "$SIP_PORT" && break; sleep 0.1; done
    if ! listening "$SIP_PORT" || ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "sidebyside.sh: $s did not start (see $log)" >&2; exit 1
    fi
    ramp=$(( (n + RATE - 1) / RATE ))
    json="$OUT/sbs-$s-$n.json"
    rm -f "$json"
    echo "sidebyside: $s, $n calls, hold ${HOLD}s, ${RATE}/s" >&2
    timeout $((HOLD + ramp + 60)) ${sched[@]+"${sched[@]}"} taskset -c "$LOAD_CPU" ./bin/ivrload --target "127.0.0.1:${SIP_PORT}" --to 100 \
      --calls "$n" --rate "$RATE" --hold "${HOLD}s" --rtp-ports 40000-49999 \
      --pid "$SERVER_PID" --json "$json" ${key_args[@]+"${key_args[@]}"} >&2 || true
    stop_server
    sleep 1
    if [ ! -s "$json" ]; then
      rows+=("| $s | $n | - | - | - | - | - | ivrload gave no result | - | no |")
      alive[$s]=0
      continue
    fi
    verdict=$(jq -r --argjson p99 "$P99_MS" --argjson loss "$LOSS_PCT" \
      'if .failed == 0 and .rtp.loss_pct < $loss and .rtp.err_p99_ms < $p99 and .rtp.streams > 0 then "yes" else "no" end' "$json")
    rows+=("$(jq -r --arg s "$s" --arg ok "$verdict" '
      "| \($s) | \(.placed) | \(if .target_cpu then "\(.target_cpu.percent_of_one_core | . * 10 | round / 10) %" else "-" end) | \(if .target_cpu then (.target_cpu.ms_per_call_second | . * 100 | round / 100) else "-" end) | \(.rtp.loss_pct | . * 1000 | round / 1000) % | \(.rtp.err_p99_ms | . * 100 | round / 100) ms | \(.rtp.err_p999_ms | . * 100 | round / 100) ms | \(.failed)\(if .failed > 0 then " (" + ([.failures | to_entries[] | "\(.key): \(.value)"] | join(", ")) + ")" else "" end) | \(.loadavg_1min[0])-\(.loadavg_1min[1]) | \($ok) |"' "$json")")
    if [ "$verdict" = yes ]; then best[$s]=$n; else alive[$s]=0; fi
  done
done
finished=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

{
  echo "# Side by side: ivrd and emiago/diago ($started to $finished)"
  echo
  echo "Command: \`SIZES=\"$SIZES\"${own_sizes} HOLD=$HOLD RATE=$RATE P99_MS=$P99_MS LOSS_PCT=$LOSS_PCT INBAND=$INBAND${KEY:+ KEY=$KEY}${rt_note} bench/sidebyside.sh\`"
  echo
  echo "Scheduling: each server alone on CPU $SERVER_CPU (\`taskset -c $SERVER_CPU\`), ivrload on CPU $LOAD_CPU, default"
  echo "scheduling for both (no chrt, nice 0); ivrd's media pacers ask for SCHED_FIFO themselves"
  echo "(server.media.realtime_priority, as the systemd unit permits). $(nproc) CPUs, $(uname -sr)."
  echo "ivrd's in-band detection: $INBAND (auto: RFC 4733 digits only, the diago peer's job; always: the detector on every call besides)."
  echo "Bar: 0 failed, loss < $LOSS_PCT %, p99 abs(Δt − 20 ms) < $P99_MS ms over the steady stretch."
  echo
  echo "| server | calls | server CPU (one core) | CPU ms per call-second | loss | p99 | p999 | failed | load avg (1 min) | passes |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  for s in $SERVERS; do echo "- **$s** held at most **${best[$s]}** calls (of the sizes tried) at the bar."; done
  if [ -n "${best[ivrd]:-}" ] && [ -n "${best[diago]:-}" ] && [ "${best[diago]}" -gt 0 ]; then
    echo "- ivrd / diago: $(awk -v a="${best[ivrd]}" -v b="${best[diago]}" 'BEGIN{printf "%.1f", a/b}')× (the goal: at least 3×)."
  fi
} > "$OUT/sidebyside.md"
cat "$OUT/sidebyside.md"
