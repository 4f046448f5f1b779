#!/usr/bin/env bash
# Issue 21's kernel floor beside ivrd: for each of RUNS rounds, in turn,
# the bare system calls of N calls' packets (bench/floor: no media work)
# by epoll and by io_uring, then ivrd's 1,000-call sweep (bench/sweep.sh)
# on its epoll loop and on io_uring, so every figure of a round comes
# from the same few minutes of the machine. The measured process is on
# CPU 0, its peer on CPU 1, default scheduling; loopback only. Prints a
# markdown table (CPU ms per call-second) and the load average.
#
#   RUNS=3 N=1000 bench/floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
N=${N:-1000}
SECS=${SECS:-10}
OUT=${OUT:-bench/out/floor}
mkdir -p "$OUT"
command -v taskset >/dev/null || { echo "floor.sh: taskset missing (util-linux)" >&2; exit 1; }
go build -o "$OUT/floor" ./bench/floor

PEER=
stop_peer() { if [ -n "$PEER" ]; then kill "$PEER" 2>/dev/null || true; wait "$PEER" 2>/dev/null || true; PEER=; fi; }
trap stop_peer EXIT

floor() { # $1: epoll or io_uring
  taskset -c 1 "$OUT/floor" -role peer -n "$N" -secs "$SECS" &
  PEER=$!
  timeout $((SECS + 30)) taskset -c 0 "$OUT/floor" -role server -io "$1" -n "$N" -secs "$SECS" |
    sed -n 's/.*ms_per_call_s=\([0-9.]*\).*/\1/p'
  stop_peer
}

sweep() { # $1: epoll or io_uring, $2: the round; the whole table stays in $OUT/sweep-$1-$2
  IVRD_MEDIA_IO=$1 SIZES=$N HOLD=20 OUT="$OUT/sweep-$1-$2" bench/sweep.sh 2>/dev/null |
    awk -F'|' -v n="$N" '$2+0 == n { gsub(/ /, "", $4); gsub(/ /, "", $6); print $4 " (p99 " $6 ")" }'
}

echo "| round | floor, epoll | floor, io_uring | ivrd, epoll | ivrd, io_uring | load avg |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$RUNS"); do
  fe=$(floor epoll); fu=$(floor io_uring); ie=$(sweep epoll "$r"); iu=$(sweep io_uring "$r")
  echo "| $r | $fe | $fu | $ie | $iu | $(cut -d' ' -f1-3 /proc/loadavg) |"
done
