#!/usr/bin/env bash
# Issue 26, point 4: what each call costs the parts every node shares
# (PostgreSQL, Kamailio), and at what call rate they would fill one core,
# against what 10 nodes can carry. On a 2-core machine 10 nodes cannot
# show their own capacity; their cost to the shared parts can be
# measured per call and per node, and projected.
#
#   CALLS=2000 RATE=200 NODES=10 bench/cluster_cost.sh
#
# 1. Per call: one ivrd node (CPU 0) on a PostgreSQL server of the
#    benchmark's own (bench/lib.sh, CPU 1 with the callers), with one
#    webhook receiver, takes CALLS calls of 1 s at RATE a second from
#    ivrload. Before and after: pg_stat_statements (reset first; when the
#    server has it), pg_stat_database's commits, the WAL position and the
#    server's CPU time (every process of it). The node's idle cost
#    (heartbeat, configuration poll, webhook poll) is measured over IDLE
#    seconds before the calls, and reported per node-second.
# 2. Fan-out: NODES nodes on that database (the first one and NODES-1
#    more), all at --log-level info; their idle cost (measured after the
#    changes, the nodes long started); CHANGES configuration changes
#    (PATCH /api/v1/ivrs/load) through node 1, one a second; for each,
#    the time from the request to each other node's "configuration
#    applied from the store" line (LISTEN/NOTIFY, then the node's
#    reload), and to the last of them. Log times have millisecond
#    resolution; PostgreSQL's CPU per change, the idle cost taken out.
# 3. Kamailio: e2e's TestClusterThroughput, one node behind Kamailio
#    (deploy/kamailio/kamailio.cfg) at KAM_RATES calls a second, reports
#    Kamailio's CPU per call (all its processes). Skipped with a message
#    without kamailio or sipp.
#
# Then the projection: the call rate at which PostgreSQL's or Kamailio's
# cost would fill one core, against NODES × NODE_CPS (each node's set-up
# rate; default 1000, the rate issue 26 measures a node at).
#
# Needs PostgreSQL server binaries (initdb) and psql; skips with a
# message otherwise. Writes bench/out/cluster-cost-*.{json,log,txt} and
# bench/out/cluster_cost.md. Loopback only; every process started is
# stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CALLS=${CALLS:-2000}
RATE=${RATE:-200}
IDLE=${IDLE:-10}
NODES=${NODES:-10}
CHANGES=${CHANGES:-10}
KAM_RATES=${KAM_RATES:-200}
NODE_CPS=${NODE_CPS:-1000}
PG_PORT=${PG_PORT:-25532}
BASE_PORT=${BASE_PORT:-25500}   # node i: SIP BASE+i, API BASE+100+i
HOOK_PORT=${HOOK_PORT:-25490}
IVRD_CPU=${IVRD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for t in taskset jq curl bc; do command -v $t >/dev/null || { echo "cluster_cost.sh: $t missing" >&2; exit 1; }; done
if ! command -v psql >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${IVRD_BENCH_POSTGRES:-}" ]; then
  echo "cluster_cost.sh: skipped: needs PostgreSQL (apt-get install postgresql) or IVRD_BENCH_POSTGRES=URL" >&2
  exit 0
fi
make -s build ivrload
ulimit -n 65536 2>/dev/null || true
hz=$(getconf CLK_TCK)
TOKEN=bench-cluster-cost-token

PIDS=() HOOK=
stop_all() {
  local p
  for p in ${PIDS[@]+"${PIDS[@]}"} $HOOK; do kill "$p" 2>/dev/null || true; done
  for p in ${PIDS[@]+"${PIDS[@]}"} $HOOK; do wait "$p" 2>/dev/null || true; done
  PIDS=() HOOK=
}
trap 'stop_all; pg_stop' EXIT

pg_start "$OUT/pg-cost" "$PG_PORT" || { echo "cluster_cost.sh: skipped: no PostgreSQL server started" >&2; exit 0; }
[ -z "${IVRD_BENCH_POSTGRES:-}" ] && taskset -a -p -c "$LOAD_CPU" "$PG_PID" >/dev/null
for p in $(ps -o pid= --ppid "$PG_PID"); do taskset -p -c "$LOAD_CPU" "$p" >/dev/null 2>&1 || true; done
DB=ivrd_bench_cluster_cost
psql "${PG_PSQL[@]}" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
DB_URL=${PG_URL/\/postgres\?//$DB?}
has_pss=$(psql "${PG_PSQL[@]}" -Atc "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'")

# node_config I: node I's file (all share the database and the menus).
node_config() {
  local i=$1
  cat <<EOF
server:
  node_id: node-$i
  sip: { listen: ["udp://127.0.0.1:$((BASE_PORT + i))"] }
  media: { rtp_ports: "$((16000 + i * 2000))-$((16000 + i * 2000 + 1999))", overload_guard: false }
  api:
    listen: "127.0.0.1:$((BASE_PORT + 100 + i))"
    tokens: [{ name: bench, token: "$TOKEN", scope: write }]
  store: "$DB_URL"
$(store_bench_menu "$HOOK_PORT")
EOF
}

# start_node I CPU LEVEL: node I on CPU (or "all"); its pid in PIDS.
start_node() {
  local i=$1 cpu=$2 level=$3 pin=()
  node_config "$i" >"$OUT/cluster-cost-node-$i.yaml"
  [ "$cpu" != all ] && pin=(taskset -c "$cpu")
  if listening "$((BASE_PORT + i))"; then echo "cluster_cost.sh: UDP port $((BASE_PORT + i)) is taken; set BASE_PORT" >&2; exit 1; fi
  ${pin[@]+"${pin[@]}"} ./bin/ivrd serve --config "$OUT/cluster-cost-node-$i.yaml" --log-level "$level" >"$OUT/cluster-cost-node-$i.log" 2>&1 &
  PIDS+=($!)
  wait_for listening "$((BASE_PORT + i))" || { echo "cluster_cost.sh: node $i did not start (see $OUT/cluster-cost-node-$i.log)" >&2; exit 1; }
}

# pg_counters: commits, the WAL position and the sessions (connections)
# opened so far.
pg_counters() {
  psql "${PG_PSQL[@]}" -Atc "SELECT xact_commit, pg_current_wal_lsn(), sessions FROM pg_stat_database WHERE datname = '$DB'"
}
# pg_delta BEFORE AFTER: "commits bytes_of_wal sessions" between two
# pg_counters (the session of the psql reading the first one included).
pg_delta() {
  local c0 c1 w0 w1 s0 s1
  IFS='|' read -r c0 w0 s0 <<<"$1"
  IFS='|' read -r c1 w1 s1 <<<"$2"
  echo "$((c1 - c0)) $(psql "${PG_PSQL[@]}" -Atc "SELECT pg_wal_lsn_diff('$w1', '$w0')::bigint") $((s1 - s0))"
}
stmt_total() {
  [ "$has_pss" = 1 ] || { echo 0; return; }
  psql "${PG_PSQL[@]}" -Atc "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$DB' AND s.query NOT LIKE '%greatest(%'"
}
stmt_reset() { [ "$has_pss" = 1 ] && psql "${PG_PSQL[@]}" -qAtc "SELECT pg_stat_statements_reset()" >/dev/null || true; }

# ---- 1. one node: idle, then CALLS calls
taskset -c "$LOAD_CPU" ./bin/ivrload service --listen "127.0.0.1:${HOOK_PORT}" >/dev/null 2>&1 &
HOOK=$!
start_node 1 "$IVRD_CPU" warn
sleep 2
stmt_reset
a0=$(pg_counters); t0=$(pg_cpu_ticks)
sleep "$IDLE"
a1=$(pg_counters); t1=$(pg_cpu_ticks); s_idle=$(stmt_total)
read -r idle_commits idle_wal idle_sessions <<<"$(pg_delta "$a0" "$a1")"
idle_cpu_ms=$(echo "($t1 - $t0) * 1000 / $hz" | bc -l)

stmt_reset
b0=$(pg_counters); t0=$(pg_cpu_ticks); started=$(date +%s.%N)
echo "cluster_cost: $CALLS calls of 1 s at ${RATE}/s to one node on PostgreSQL" >&2
timeout $((CALLS / RATE + 90)) taskset -c "$LOAD_CPU" ./bin/ivrload --target "127.0.0.1:$((BASE_PORT + 1))" --to 100 \
  --calls "$CALLS" --rate "$RATE" --hold 1s --rtp-ports 40000-59999 --pid "${PIDS[0]}" --json "$OUT/cluster-cost-calls.json" >&2 ||
  echo "cluster_cost: ivrload reported failures" >&2
answered=$(jq -r .answered "$OUT/cluster-cost-calls.json")
[ "$answered" -gt 0 ] || { echo "cluster_cost.sh: no call answered" >&2; exit 1; }
# Until every call's writes are in (its record ended, its events
# delivered: a store that fell behind catches up through the queues),
# 120 s at most. Each check is one psql session, taken out below.
polls=0
for _ in $(seq 240); do
  polls=$((polls + 1))
  left=$(psql "${PG_PSQL[@]}" -d "$DB" -Atc "SELECT greatest($answered - (SELECT count(*) FROM call_records WHERE state <> 'started'), 0) + (SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL)")
  [ "$left" = 0 ] && break
  sleep 0.5
done
[ "$left" = 0 ] || echo "cluster_cost: $left writes still missing after 120 s" >&2
b1=$(pg_counters); t1=$(pg_cpu_ticks); s_calls=$(stmt_total)
read -r call_commits call_wal call_sessions <<<"$(pg_delta "$b0" "$b1")"
call_sessions=$((call_sessions - polls))
run_s=$(echo "$(date +%s.%N) - $started" | bc -l)
# Per call, less what the idle node would have cost over the same time.
per_call() { echo "($1 - $2 * $run_s / $IDLE) / $answered" | bc -l; }
pg_ms_call=$(per_call "$(echo "($t1 - $t0) * 1000 / $hz" | bc -l)" "$idle_cpu_ms")
commits_call=$(per_call "$call_commits" "$idle_commits")
wal_call=$(per_call "$call_wal" "$idle_wal")
stmts_call=$(per_call "$s_calls" "$s_idle")
sessions_call=$(per_call "$call_sessions" "$idle_sessions")
if [ "$has_pss" = 1 ]; then
  psql "${PG_PSQL[@]}" -Atc "SELECT round(s.calls::numeric / $answered, 2) || ' | ' || round((s.total_exec_time / $answered)::numeric * 1000, 1) || ' µs | ' || regexp_replace(left(s.query, 90), '\s+', ' ', 'g')
    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$DB' AND s.query NOT LIKE '%greatest(%' ORDER BY s.calls DESC LIMIT 12" >"$OUT/cluster-cost-statements.txt"
fi

# ---- 2. NODES nodes: idle cost, then the fan-out of CHANGES changes
for i in $(seq 2 "$NODES"); do start_node "$i" all info; done
for i in $(seq 2 "$NODES"); do
  for _ in $(seq 300); do grep -q "ivrd serving" "$OUT/cluster-cost-node-$i.log" && break; sleep 0.1; done
done
sleep 5 # past the nodes' start (import, sweep, outbox adoption)

api="http://127.0.0.1:$((BASE_PORT + 101))/api/v1"
: >"$OUT/cluster-cost-fanout.txt"
t0=$(pg_cpu_ticks); f_start=$(date +%s.%N)
applied() { grep -c "configuration applied from the store" "$OUT/cluster-cost-node-$1.log" || true; }
for k in $(seq "$CHANGES"); do
  declare -A seen=()
  for i in $(seq 2 "$NODES"); do seen[$i]=$(applied "$i"); done
  sent=$(date -u +%H:%M:%S.%N)
  curl -fsS -o /dev/null -X PATCH -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    --data "{\"prompt_repeat\": $(( (k % 4) + 1 ))}" "$api/ivrs/load" || { echo "cluster_cost.sh: the change was refused" >&2; exit 1; }
  for i in $(seq 2 "$NODES"); do
    # The first line after those before the change: this change's (10 s at most).
    for _ in $(seq 100); do [ "$(applied "$i")" -gt "${seen[$i]}" ] && break; sleep 0.1; done
    line=$(grep "configuration applied from the store" "$OUT/cluster-cost-node-$i.log" | sed -n "$((seen[$i] + 1))p")
    [ -n "$line" ] || { echo "cluster_cost.sh: node $i did not apply change $k within 10 s" >&2; continue; }
    echo "$k $i $sent $(sed -E 's/^time=[0-9-]+T([0-9:.]+)Z.*/\1/' <<<"$line")"
  done >>"$OUT/cluster-cost-fanout.txt"
  sleep 1
done
t1=$(pg_cpu_ticks)
f_wall=$(echo "$(date +%s.%N) - $f_start" | bc -l)
# The NODES nodes' idle cost, measured once they are well past their
# start, then taken out of the fan-out's.
sleep 2
c0=$(pg_counters); t2=$(pg_cpu_ticks)
sleep "$IDLE"
c1=$(pg_counters); t3=$(pg_cpu_ticks)
read -r nodes_commits _ _ <<<"$(pg_delta "$c0" "$c1")"
nodes_cpu_ms=$(echo "($t3 - $t2) * 1000 / $hz" | bc -l)
fanout_cpu_ms=$(echo "(($t1 - $t0) * 1000 / $hz - $nodes_cpu_ms * $f_wall / $IDLE) / $CHANGES" | bc -l)
# ms from each change's request to each node's line; then to the last node of each change.
awk 'function sec(t, f) { split(t, f, ":"); return f[1] * 3600 + f[2] * 60 + f[3] }
  { printf "%d %.1f\n", $1, (sec($4) - sec($3)) * 1000 }' "$OUT/cluster-cost-fanout.txt" >"$OUT/cluster-cost-fanout-ms.txt"
# q FILE P: the P-quantile (0-1) of the numbers in FILE.
q() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(p * NR + 0.5); if (i < 1) i = 1; print v[i] }'; }
cut -d' ' -f2 "$OUT/cluster-cost-fanout-ms.txt" >"$OUT/cluster-cost-fanout-each.txt"
awk '{ if ($2 > m[$1]) m[$1] = $2 } END { for (k in m) print m[k] }' "$OUT/cluster-cost-fanout-ms.txt" >"$OUT/cluster-cost-fanout-last.txt"
fanout="to each node p50 $(q "$OUT/cluster-cost-fanout-each.txt" 0.5) ms, max $(q "$OUT/cluster-cost-fanout-each.txt" 1) ms; to the last node p50 $(q "$OUT/cluster-cost-fanout-last.txt" 0.5) ms, max $(q "$OUT/cluster-cost-fanout-last.txt" 1) ms ($(wc -l <"$OUT/cluster-cost-fanout-last.txt") changes, $((NODES - 1)) nodes listening)"
stop_all

# ---- 3. Kamailio per call (e2e harness)
kam="not measured (kamailio or sipp missing)"
if command -v kamailio >/dev/null && command -v sipp >/dev/null; then
  echo "cluster_cost: Kamailio at ${KAM_RATES}/s (go test ./e2e -run TestClusterThroughput/1_nodes)" >&2
  IVRD_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable" IVRD_CLUSTER_BENCH=1 IVRD_CLUSTER_RATES=$KAM_RATES \
    go test -count=1 -timeout 10m -run 'TestClusterThroughput/1_nodes' -v ./e2e >"$OUT/cluster-cost-kamailio.log" 2>&1 ||
    echo "cluster_cost: the Kamailio run failed (see $OUT/cluster-cost-kamailio.log)" >&2
  kam_rows=$(grep -E '^\s*\| 1 \|' "$OUT/cluster-cost-kamailio.log" | sed 's/^[[:space:]]*//' || true)
  kam_us=$(awk -F'|' '{ gsub(/[^0-9.]/, "", $10); if ($10 != "") { s += $10; n++ } } END { if (n) printf "%.0f", s / n }' <<<"$kam_rows")
  [ -n "$kam_us" ] && kam="$kam_us µs per call (mean of the rows below)"
fi

pg_sat=$(echo "1000 / $pg_ms_call" | bc -l)
idle_node_ms_s=$(echo "$nodes_cpu_ms / $IDLE / $NODES" | bc -l)
{
  echo "What a call costs the shared parts (CALLS=$CALLS RATE=$RATE NODES=$NODES bench/cluster_cost.sh; PostgreSQL $(psql "${PG_PSQL[@]}" -Atc 'SHOW server_version') on CPU $LOAD_CPU with ivrload, the node on CPU $IVRD_CPU):"
  echo
  echo "| per call (one node, $answered calls answered, idle cost taken out) | figure |"
  echo "|---|---|"
  printf '| PostgreSQL statements | %.1f |\n' "$stmts_call"
  printf '| PostgreSQL transactions (commits) | %.1f |\n' "$commits_call"
  printf '| WAL written | %.0f bytes |\n' "$wal_call"
  printf '| PostgreSQL CPU | %.3f ms |\n' "$pg_ms_call"
  printf '| connections opened (pg_stat_database.sessions: a backend forked each) | %.2f |\n' "$sessions_call"
  printf '| one idle node: PostgreSQL CPU, commits | %.2f ms/s, %.1f/s (with %d nodes: %.2f ms/s per node, %.1f commits/s in all) |\n' \
    "$(echo "$idle_cpu_ms / $IDLE" | bc -l)" "$(echo "$idle_commits / $IDLE" | bc -l)" "$NODES" "$idle_node_ms_s" "$(echo "$nodes_commits / $IDLE" | bc -l)"
  printf '| a configuration change to %d nodes (LISTEN/NOTIFY, each reloads) | %s; PostgreSQL CPU %.1f ms a change |\n' "$NODES" "$fanout" "$fanout_cpu_ms"
  echo "| Kamailio CPU | $kam |"
  echo
  if [ -s "$OUT/cluster-cost-statements.txt" ]; then
    echo "Statements per call (pg_stat_statements, the 12 most frequent; calls per call | execution time per call | statement):"
    echo
    sed 's/^/    /' "$OUT/cluster-cost-statements.txt"
    echo
  fi
  [ -n "${kam_rows:-}" ] && { echo "Kamailio runs (e2e TestClusterThroughput, one node):"; echo; printf '%s\n' "$kam_rows"; echo; }
  echo "Projection: PostgreSQL fills one core at $(printf '%.0f' "$pg_sat") calls/s (less $(printf '%.1f' "$(echo "$idle_node_ms_s * $NODES / 10" | bc -l)") % of it for $NODES idle nodes);"
  [ -n "${kam_us:-}" ] && echo "Kamailio fills one core at $(echo "1000000 / $kam_us" | bc) calls/s;"
  echo "$NODES nodes at $NODE_CPS calls/s each offer $((NODES * NODE_CPS)) calls/s."
} | tee "$OUT/cluster_cost.md"
