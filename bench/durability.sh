#!/usr/bin/env bash
# Issue 26, point 3's cost: a call's started record and its call.started
# webhook event are written in one transaction before its menu begins
# (node/durable.go). This measures the call set-up rate of one node with
# that durability as shipped ("durable") and without it ("queued": ivrd
# serve --queued-starts, which writes the record through the recorder's
# queue and the event through the webhook dispatcher's batches after the
# menu has begun, as ivrd did before commit ebbf4e7: the same rows, off
# the call's path and in separate transactions). --no-records would not
# be a fair "before": it writes no records at all.
#
# Each run: a fresh ivrd alone on CPU 0 (default scheduling; RT=1: SCHED_RR) on a fresh
# database, one webhook receiver (`ivrload service`, answering 200 at
# once) so that call.started has an outbox row, and ivrload on CPU 1
# offering CALLS calls of 1 s at RATE a second (INVITE, 200, ACK, a
# second of the menu's audio both ways, BYE). PostgreSQL is a server of
# the benchmark's own (bench/lib.sh: initdb in bench/out/pg, port
# PG_PORT), pinned to CPU 1 with the callers (under RT=1 at their
# priority); IVRD_BENCH_POSTGRES=URL
# uses another server instead. SQLite is a file beside the config.
#
#   CALLS=10000 RATE=1000 bench/durability.sh
#   STORES=postgres MODES="queued durable" REPEAT=3 bench/durability.sh
#
# Prints, per store and mode: calls placed, answered and failed (with
# reasons), the answered calls per second of offered time, set-up p50 /
# p99, ivrd's CPU per call, PostgreSQL's CPU per call, and the durable
# run's rate against the queued one's (issue 26: at most 10 % lower).
# Writes bench/out/durability-STORE-MODE-I.json and bench/out/durability.md.
# Loopback only; every process started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CALLS=${CALLS:-10000}
RATE=${RATE:-1000}
STORES=${STORES:-"sqlite postgres"}
MODES=${MODES:-"queued durable"}
REPEAT=${REPEAT:-1}
SIP_PORT=${SIP_PORT:-25360}
API_PORT=${API_PORT:-25380}
HOOK_PORT=${HOOK_PORT:-25390}
PG_PORT=${PG_PORT:-25432}
IVRD_CPU=${IVRD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
# GUARD=1 keeps the overload guard on, as shipped; by default it is off
# here: it refuses calls (503) while the pacers run late, which on a
# shared machine follows the neighbours more than the cost measured.
GUARD=${GUARD:-0}
GUARD_SETTING=false
[ "$GUARD" = 1 ] && GUARD_SETTING=true
# RT=1 (root) runs ivrd, ivrload and the service under SCHED_RR 10, as
# sweep.sh's RT does: for a machine whose other work cannot be stopped.
RT=${RT:-0}
sched=()
[ "$RT" = 1 ] && sched=(chrt -r 10)
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for t in taskset jq curl; do command -v $t >/dev/null || { echo "durability.sh: $t missing" >&2; exit 1; }; done
make -s build ivrload
ulimit -n 65536 2>/dev/null || true
hz=$(getconf CLK_TCK)

IVRD= HOOK=
stop_all() { for p in $IVRD $HOOK; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; IVRD= HOOK=; }
trap 'stop_all; pg_stop' EXIT

if [[ " $STORES " == *" postgres "* ]]; then
  command -v psql >/dev/null || { echo "durability.sh: psql missing (apt-get install postgresql)" >&2; exit 1; }
  pg_start "$OUT/pg" "$PG_PORT" || { echo "durability.sh: no PostgreSQL server (set IVRD_BENCH_POSTGRES=URL, or install postgresql)" >&2; exit 1; }
  if [ -z "${IVRD_BENCH_POSTGRES:-}" ]; then
    # On CPU 1 with the callers; under RT=1 at their priority too (backends
    # forked later inherit both), or the callers would starve it.
    for p in "$PG_PID" $(ps -o pid= --ppid "$PG_PID"); do
      taskset -a -p -c "$LOAD_CPU" "$p" >/dev/null 2>&1 || true
      [ "$RT" = 1 ] && { chrt -a -r -p 10 "$p" >/dev/null 2>&1 || true; }
    done
  fi
fi

# config STORE_URL: the node's file.
config() {
  cat <<EOF
server:
  sip: { listen: ["udp://127.0.0.1:${SIP_PORT}"] }
  media: { rtp_ports: "16000-35999", overload_guard: ${GUARD_SETTING} }
  api: { listen: "127.0.0.1:${API_PORT}" }
  store: "$1"
  node_id: bench-node
$(store_bench_menu "$HOOK_PORT")
EOF
}

# fresh_store STORE I: a new empty database for one run; prints its URL.
fresh_store() {
  case "$1" in
    sqlite) rm -rf "$OUT/durability-data"; echo "sqlite://durability-data/ivrd.db" ;;
    postgres)
      local db="ivrd_bench_durability_$2"
      psql "${PG_PSQL[@]}" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
      echo "${PG_URL/\/postgres\?//$db?}" ;;
    *) echo "durability.sh: store $1: want sqlite or postgres" >&2; exit 1 ;;
  esac
}

rows=()
rm -f "$OUT/durability-rates.txt.tmp"
i=0
for rep in $(seq "$REPEAT"); do
  for store in $STORES; do
    for mode in $MODES; do
      i=$((i + 1))
      args=()
      case "$mode" in
        durable) ;;
        queued) args=(--queued-starts) ;;
        *) echo "durability.sh: mode $mode: want durable or queued" >&2; exit 1 ;;
      esac
      url=$(fresh_store "$store" "$i")
      cfg="$OUT/durability.yaml"
      config "$url" >"$cfg"
      if listening "$SIP_PORT"; then echo "durability.sh: UDP port $SIP_PORT is taken; set SIP_PORT" >&2; exit 1; fi
      taskset -c "$LOAD_CPU" ${sched[@]+"${sched[@]}"} ./bin/ivrload service --listen "127.0.0.1:${HOOK_PORT}" --json "$OUT/durability-$store-$mode-$rep-hooks.json" >/dev/null 2>&1 &
      HOOK=$!
      taskset -c "$IVRD_CPU" ${sched[@]+"${sched[@]}"} ./bin/ivrd serve --config "$cfg" --log-level warn "${args[@]}" >"$OUT/durability-$store-$mode-$rep-ivrd.log" 2>&1 &
      IVRD=$!
      wait_for listening "$SIP_PORT" && wait_for tcp_listening "$HOOK_PORT" ||
        { echo "durability.sh: ivrd did not start (see $OUT/durability-$store-$mode-$rep-ivrd.log)" >&2; exit 1; }
      sleep 1 # the node's start (import, heartbeat) is not the calls' cost
      json="$OUT/durability-$store-$mode-$rep.json"
      echo "durability: $store, $mode, $CALLS calls of 1 s at ${RATE}/s" >&2
      pg0=$(pg_cpu_ticks); iv0=$(proc_ticks "$IVRD")
      timeout $((CALLS / RATE + 90)) taskset -c "$LOAD_CPU" ${sched[@]+"${sched[@]}"} ./bin/ivrload --target "127.0.0.1:${SIP_PORT}" --to 100 \
        --calls "$CALLS" --rate "$RATE" --hold 1s --rtp-ports 40000-59999 --pid "$IVRD" --json "$json" >&2 ||
        echo "durability: ivrload reported failures ($store, $mode)" >&2
      pg1=$(pg_cpu_ticks); iv1=$(proc_ticks "$IVRD")
      stop_all
      answered=$(jq -r .answered "$json")
      [ "$answered" -gt 0 ] || { echo "durability: no call answered ($store, $mode): see $OUT/durability-$store-$mode-$rep-ivrd.log" >&2; answered=1; }
      offered_s=$(echo "($CALLS - 1) / $RATE" | bc -l)
      per_s=$(echo "$answered / $offered_s" | bc -l)
      ivrd_ms=$(echo "($iv1 - $iv0) * 1000 / $hz / $answered" | bc -l)
      pg_ms="-" written="-"
      if [ "$store" = postgres ]; then
        pg_ms=$(printf '%.3f ms' "$(echo "($pg1 - $pg0) * 1000 / $hz / $answered" | bc -l)")
        # Every answered call has its record and its call.started row,
        # whichever way they were written.
        written=$(psql "$url" -Atc "SELECT (SELECT count(*) FROM call_records) || ' / ' || (SELECT count(*) FROM webhook_outbox WHERE type = 'call.started')")
      elif command -v sqlite3 >/dev/null; then
        written=$(sqlite3 "$OUT/durability-data/ivrd.db" "SELECT (SELECT count(*) FROM call_records) || ' / ' || (SELECT count(*) FROM webhook_outbox WHERE type = 'call.started')" 2>/dev/null || echo "-")
      fi
      # What the node's log says it could not write: dropped with the
      # queues full (before their writers batched and never dropped), or
      # given up (a node stopped with its store down).
      dropped=$(grep -cE 'dropped|not written"|not written:|events lost' "$OUT/durability-$store-$mode-$rep-ivrd.log" || true)
      written="$written ($dropped dropped)"
      rows+=("| $store | $mode | $(jq -r .placed "$json") | $answered | $(jq -r '"\(.failed)\(if .failed > 0 then " (" + (.failures | to_entries | map("\(.key): \(.value)") | join(", ")) + ")" else "" end)"' "$json") | $(printf '%.0f' "$per_s") | $(jq -r '"\(.setup_p50_ms | . * 10 | round / 10) / \(.setup_p99_ms | . * 10 | round / 10) ms"' "$json") | $(printf '%.3f ms' "$ivrd_ms") | $pg_ms | $written | $(jq -r '.loadavg_1min | join("-")' "$json") |")
      printf '%s %s %s\n' "$store" "$mode" "$per_s" >>"$OUT/durability-rates.txt.tmp"
      sleep 1
    done
  done
done
{
  echo "Call set-up with and without durable starts (CALLS=$CALLS RATE=$RATE REPEAT=$REPEAT GUARD=$GUARD bench/durability.sh; ivrd alone on CPU $IVRD_CPU, ivrload, the webhook receiver and PostgreSQL on CPU $LOAD_CPU, ${sched[*]:-default scheduling}; calls of 1 s; overload guard $GUARD_SETTING):"
  echo
  echo "| store | starts | placed | answered | failed | answered per second offered | set-up p50 / p99 | ivrd CPU per call | PostgreSQL CPU per call | records / call.started rows in the store (writes the log says were dropped) | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  awk '{ s[$1" "$2] += $3; n[$1" "$2]++ } END {
    for (k in s) { split(k, f, " "); if (f[2] == "durable" && n[f[1]" queued"] > 0) {
      d = s[k] / n[k]; q = s[f[1]" queued"] / n[f[1]" queued"]
      printf "%s: durable starts %.0f calls/s against queued %.0f: %+.1f %%\n", f[1], d, q, 100 * (d - q) / q } } }' "$OUT/durability-rates.txt.tmp"
} | tee "$OUT/durability.md"
rm -f "$OUT/durability-rates.txt.tmp"
