#!/usr/bin/env bash
# Issue 26, point 3: a node rides through a PostgreSQL restart without
# losing what it acknowledged. One ivrd node on a PostgreSQL server of the
# benchmark's own (bench/lib.sh), a webhook receiver, and ivrload offering
# CALLS calls of HOLD at RATE a second; DOWN_AT seconds in, PostgreSQL is
# stopped (pg_ctl -m fast: every connection cut) and started again DOWN
# seconds later. Afterwards (the node stopped cleanly, so its queues are
# written): calls answered against records in the store, call.started
# rows, every record's state, the node's log lines about the store (retries,
# refusals), and its ivrd_store_backlog peak as /metrics showed it (polled
# every 200 ms).
#
#   CALLS=6000 RATE=200 DOWN_AT=8 DOWN=5 bench/pgrestart.sh
#
# Writes bench/out/pgrestart.{json,log,md}. Loopback only; every process
# started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CALLS=${CALLS:-6000}
RATE=${RATE:-200}
HOLD=${HOLD:-1s}
DOWN_AT=${DOWN_AT:-8}
DOWN=${DOWN:-5}
SIP_PORT=${SIP_PORT:-25660}
API_PORT=${API_PORT:-25680}
HOOK_PORT=${HOOK_PORT:-25690}
PG_PORT=${PG_PORT:-25632}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for t in jq curl psql; do command -v $t >/dev/null || { echo "pgrestart.sh: $t missing" >&2; exit 1; }; done
make -s build ivrload
ulimit -n 65536 2>/dev/null || true

IVRD= HOOK= POLL=
stop_all() { for p in $POLL $IVRD $HOOK; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; IVRD= HOOK= POLL=; }
trap 'stop_all; pg_stop' EXIT
[ -z "${IVRD_BENCH_POSTGRES:-}" ] || { echo "pgrestart.sh: restarts a server of its own; unset IVRD_BENCH_POSTGRES" >&2; exit 1; }
pg_start "$OUT/pg-restart" "$PG_PORT" || { echo "pgrestart.sh: skipped: no PostgreSQL server binaries" >&2; exit 0; }
DB=ivrd_bench_pgrestart
psql "${PG_PSQL[@]}" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
URL=${PG_URL/\/postgres\?//$DB?}

cat >"$OUT/pgrestart.yaml" <<EOF
server:
  sip: { listen: ["udp://127.0.0.1:${SIP_PORT}"] }
  media: { rtp_ports: "16000-35999", overload_guard: false }
  api: { listen: "127.0.0.1:${API_PORT}" }
  store: "$URL"
  node_id: bench-node
$(store_bench_menu "$HOOK_PORT")
EOF
./bin/ivrload service --listen "127.0.0.1:${HOOK_PORT}" --json "$OUT/pgrestart-hooks.json" >/dev/null 2>&1 &
HOOK=$!
./bin/ivrd serve --config "$OUT/pgrestart.yaml" --log-level info >"$OUT/pgrestart.log" 2>&1 &
IVRD=$!
wait_for listening "$SIP_PORT" && wait_for tcp_listening "$HOOK_PORT" || { echo "pgrestart.sh: ivrd did not start (see $OUT/pgrestart.log)" >&2; exit 1; }
sleep 1
# The backlog as /metrics shows it, every 200 ms.
(while :; do curl -s "http://127.0.0.1:${API_PORT}/metrics" | awk '/^ivrd_store_backlog / { print $2 }'; sleep 0.2; done) >"$OUT/pgrestart-backlog.txt" 2>/dev/null &
POLL=$!
(
  sleep "$DOWN_AT"
  echo "pgrestart: PostgreSQL stopped at $(date -u +%T.%3N)" >&2
  "${PG_RUN[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
  sleep "$DOWN"
  "${PG_RUN[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w start >/dev/null
  echo "pgrestart: PostgreSQL back at $(date -u +%T.%3N)" >&2
) &
RESTART=$!
./bin/ivrload --target "127.0.0.1:${SIP_PORT}" --to 100 --calls "$CALLS" --rate "$RATE" --hold "$HOLD" \
  --rtp-ports 40000-59999 --json "$OUT/pgrestart.json" >&2 || echo "pgrestart: ivrload reported failures" >&2
wait "$RESTART"
stop_all # SIGTERM: the node drains and writes what it queued
answered=$(jq -r .answered "$OUT/pgrestart.json")
counts=$(psql -h "$PG_DIR" -p "$PG_PORT" -U postgres -d "$DB" -Atc "SELECT (SELECT count(*) FROM call_records) || ' records (' || (SELECT string_agg(state || ': ' || n, ', ') FROM (SELECT state, count(*) n FROM call_records GROUP BY state) s) || '), ' || (SELECT count(*) FROM webhook_outbox WHERE type = 'call.started') || ' call.started rows, ' || (SELECT count(*) FROM webhook_outbox WHERE type = 'call.ended') || ' call.ended rows'" 2>/dev/null || echo "(store unreadable)")
peak=$(sort -n "$OUT/pgrestart-backlog.txt" | tail -1)
{
  echo "PostgreSQL restart under load (CALLS=$CALLS RATE=$RATE HOLD=$HOLD DOWN_AT=$DOWN_AT DOWN=$DOWN bench/pgrestart.sh; load average $(cut -d' ' -f1-3 /proc/loadavg)):"
  echo
  echo "- ivrload: $(jq -r '"\(.placed) placed, \(.answered) answered, \(.failed) failed\(if .failed > 0 then " (" + (.failures | to_entries | map("\(.key): \(.value)") | join(", ")) + ")" else "" end)"' "$OUT/pgrestart.json")"
  echo "- in the store: $counts (answered: $answered)"
  echo "- ivrd_store_backlog peak (/metrics every 200 ms): ${peak:-?}"
  echo "- the node's log about the store:"
  echo
  sed -E 's/time=[^ ]+ //; s/call_id=[^ ]+ ?//g; s/(backlog|records|events|attempts)=[0-9]+/\1=N/g; s/err="[^"]*"/err=.../' "$OUT/pgrestart.log" |
    grep -E "not written|written after|refused|taken again|events lost|dropped|queued|bound|came back" | grep -v "call rejected" | sort | uniq -c | sort -rn | head -12 | sed 's/^/    /'
} | tee "$OUT/pgrestart.md"
