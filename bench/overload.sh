#!/usr/bin/env bash
# Issue 21's overload curve (make bench-overload): calls offered from
# below ivrd's capacity up to twice it, with the overload guard on as
# shipped (server.media.overload_guard: true), pinned as bench/sweep.sh
# (ivrd alone on CPU 0, ivrload on CPU 1, default scheduling: ivrd's
# pacers ask for SCHED_FIFO themselves). For each size in SIZES a fresh
# ivrd is offered SIZE calls at RATE a second, each held HOLD seconds;
# ivrload records the calls admitted (answered), those refused with 503
# (the guard: "INVITE 503"), any other failure, and the quality of the
# admitted calls' audio over the steady stretch (loss, p99 and p999
# abs(Δt − 20 ms)). Writes bench/out/overload-SIZE.json, the table
# bench/out/overload.tsv and bench/out/overload.md, and draws
# bench/out/overload.svg with bench/plot (copy it to bench/overload.svg
# to publish a measured curve).
#
#   SIZES="1000 2000 2500 3000 3500 4000 5000" HOLD=40 RATE=250 bench/overload.sh
#
# Choose SIZES from the sweep's capacity (make bench-load): the first
# below it, the last about twice it. ivrload's own CPU grows with the
# calls offered (about 0.25 ms per call-second): past ~3,500 calls on one
# core it runs late itself (its "late p99" in the JSON; reported in the
# table), so for the far end of the curve give it both cores' spare time
# (LOAD_CPU=1 stays the default; read its lateness before trusting p99).
# Loopback only; every run is bounded (timeout) and every process started
# is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 2000 2500 3000 3500 4000"}
HOLD=${HOLD:-40}          # seconds each call lasts (longer than the ramp)
RATE=${RATE:-250}         # calls offered per second
SIP_PORT=${SIP_PORT:-25060}
IVRD_CPU=${IVRD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-bench/out}
# RT=1 (root) runs the server and ivrload under SCHED_RR priority 10, as
# bench/sweep.sh does: on a machine whose other work cannot be stopped,
# the closest to having the two cores to themselves. Not as deployed:
# say so next to figures measured with it.
RT=${RT:-0}
# IVRD_BIN runs another ivrd binary (an A/B of two builds; make build
# still builds ./bin/ivrd first).
IVRD_BIN=${IVRD_BIN:-./bin/ivrd}
sched=()
rt_note=
[ "$RT" = 1 ] && sched=(chrt -r 10) && rt_note=" RT=1"
mkdir -p "$OUT"

for tool in taskset jq; do
  command -v "$tool" >/dev/null || { echo "overload.sh: $tool missing" >&2; exit 1; }
done
make -s build ivrload
# Up to 10,000 calls: ivrd holds two sockets per call, ivrload one.
ulimit -n 65536 2>/dev/null || echo "overload.sh: could not raise the open-file limit ($(ulimit -n))" >&2

cfg="$OUT/overload.yaml"
sed -e "s/127.0.0.1:5060/127.0.0.1:${SIP_PORT}/" -e 's/rtp_ports: "20000-29999"/rtp_ports: "16000-35999"/' \
  bench/ivrload.yaml > "$cfg"
grep -q '16000-35999' "$cfg" || { echo "overload.sh: could not widen ivrd's RTP ports in $cfg" >&2; exit 1; }
# The guard as shipped: the bench configuration does not set
# overload_guard, so it is on; say so if that ever changes.
if grep -q 'overload_guard' "$cfg"; then echo "overload.sh: $cfg sets overload_guard; the curve is of the default" >&2; exit 1; fi

IVRD=
stop_ivrd() {
  if [ -n "$IVRD" ]; then kill "$IVRD" 2>/dev/null || true; wait "$IVRD" 2>/dev/null || true; IVRD=; fi
}
trap stop_ivrd EXIT
listening() { grep -qi ":$(printf '%04X' "$1") 00000000:0000" /proc/net/udp; }

tsv="$OUT/overload.tsv"
printf 'offered\tadmitted\trefused_503\tother_failed\tloss_pct\tp99_ms\tp999_ms\tivrd_cpu_pct\tivrload_late_p99_ms\tloadavg\n' > "$tsv"
started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
for n in $SIZES; do
  if listening "$SIP_PORT"; then echo "overload.sh: UDP port $SIP_PORT is taken; set SIP_PORT" >&2; exit 1; fi
  ${sched[@]+"${sched[@]}"} taskset -c "$IVRD_CPU" "$IVRD_BIN" serve --config "$cfg" --log-level warn > "$OUT/overload-$n-ivrd.log" 2>&1 &
  IVRD=$!
  for _ in $(seq 50); do listening "$SIP_PORT" && break; sleep 0.1; done
  if ! listening "$SIP_PORT" || ! kill -0 "$IVRD" 2>/dev/null; then
    echo "overload.sh: ivrd did not start (see $OUT/overload-$n-ivrd.log)" >&2; exit 1
  fi
  ramp=$(( (n + RATE - 1) / RATE ))
  [ "$ramp" -lt "$HOLD" ] || echo "overload.sh: $n calls at $RATE/s take ${ramp}s to offer, longer than HOLD=${HOLD}s: they are never all up at once" >&2
  json="$OUT/overload-$n.json"
  rm -f "$json"
  echo "overload: $n calls offered, hold ${HOLD}s, ${RATE}/s" >&2
  timeout $((HOLD + ramp + 60)) ${sched[@]+"${sched[@]}"} taskset -c "$LOAD_CPU" ./bin/ivrload --target "127.0.0.1:${SIP_PORT}" --to 100 \
    --calls "$n" --rate "$RATE" --hold "${HOLD}s" --rtp-ports 40000-59999 \
    --pid "$IVRD" --json "$json" >&2 || true # refused calls are failures to ivrload; counted below
  stop_ivrd
  sleep 1
  if [ ! -s "$json" ]; then echo "overload.sh: ivrload gave no result at $n calls" >&2; continue; fi
  jq -r '[
      .placed, .answered, (.failures["INVITE 503"] // 0), (.failed - (.failures["INVITE 503"] // 0)),
      .rtp.loss_pct, .rtp.err_p99_ms, .rtp.err_p999_ms,
      (if .target_cpu then .target_cpu.percent_of_one_core else 0 end), .pacing.late_p99_ms,
      "\(.loadavg_1min[0])-\(.loadavg_1min[1])"
    ] | @tsv' "$json" >> "$tsv"
done
finished=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

{
  echo "# Overload curve ($started to $finished)"
  echo
  echo "Command: \`SIZES=\"$SIZES\" HOLD=$HOLD RATE=$RATE${rt_note} bench/overload.sh\`; ivrd on CPU $IVRD_CPU, ivrload on CPU $LOAD_CPU,"
  echo "default scheduling (ivrd's pacers ask for SCHED_FIFO themselves), overload guard on as shipped."
  echo
  echo "| offered | admitted | refused (503) | other failures | loss (admitted) | p99 | p999 | ivrd CPU | ivrload late p99 | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  tail -n +2 "$tsv" | awk -F'\t' '{printf "| %d | %d | %d | %d | %.3f %% | %.2f ms | %.2f ms | %.1f %% | %.1f ms | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}'
} > "$OUT/overload.md"
cat "$OUT/overload.md"
go run ./bench/plot --in "$tsv" --out "$OUT/overload.svg" \
  --title "ivrd past capacity: calls offered vs. calls admitted and their quality ($started)"
echo "overload: the curve is $OUT/overload.svg" >&2
