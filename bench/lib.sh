# Shared by bench/ask.sh, gathers.sh, durability.sh and cluster_cost.sh
# (sourced, not run): waiting for a listener, a node's /metrics, and a
# PostgreSQL server of the benchmark's own. Loopback only.

# listening: is anything bound to UDP port $1?
listening() { grep -qi ":$(printf '%04X' "$1") 00000000:0000" /proc/net/udp; }

# tcp_listening: is anything listening on TCP port $1?
tcp_listening() { grep -qi ":$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp; }

# wait_for CHECK PORT: up to 10 s for CHECK (listening, tcp_listening) to pass.
wait_for() {
  local i
  for i in $(seq 100); do "$1" "$2" && return 0; sleep 0.1; done
  return 1
}

# pacer_buckets API_PORT: ivrd's pacer lateness histogram (cumulative
# counts by upper bound, "le count" lines) from /metrics.
pacer_buckets() {
  curl -fsS "http://127.0.0.1:$1/metrics" | awk -F'[{}" ]+' '/^ivrd_pacer_lateness_seconds_bucket/ { print $3, $4 }'
}

# pacer_delta BEFORE AFTER SECONDS: from two pacer_buckets outputs
# SECONDS apart, the wake-ups in between, the share later than 1 ms and
# 2 ms, and the bucket holding the p99 ("<= X ms"). The histogram has
# one observation per pacer wake-up, the lateness of the newest 1 ms
# tick it serves: a wake-up that served k ticks (a late one) hides the
# k-1 older, later ones, so wake-ups per pacer-millisecond under 1 say
# how many ticks were made up that way.
pacer_delta() {
  paste -d' ' <(printf '%s\n' "$1") <(printf '%s\n' "$2") | awk -v secs="${3:-0}" '
    { le[NR] = $1; d[NR] = $4 - $2 }
    END {
      n = d[NR]; if (n <= 0) { print "no pacer ticks measured"; exit }
      for (i = 1; i <= NR; i++) {
        if (le[i] == "0.001") over1 = n - d[i]
        if (le[i] == "0.002") over2 = n - d[i]
        if (p99 == "" && d[i] >= 0.99 * n) p99 = (le[i] == "+Inf") ? "> 50 ms" : "<= " le[i] * 1000 " ms"
      }
      printf "pacer wake-ups %d", n
      if (secs > 0) printf " (%.2f a millisecond over %.1f s)", n / secs / 1000, secs
      printf ", later than 1 ms %.3f %%, later than 2 ms %.3f %%, p99 %s\n", 100 * over1 / n, 100 * over2 / n, p99
    }'
}

# pg_start DIR PORT: a PostgreSQL 15 server of the benchmark's own in DIR
# (initdb, run as the postgres user when we are root), listening on
# 127.0.0.1:PORT and a socket in DIR, pg_stat_statements loaded when the
# server has it. Sets PG_URL (the postgres:// URL ivrd's store takes),
# PG_PSQL (psql arguments as the superuser) and PG_PID (the postmaster).
# PG_URL set beforehand (IVRD_BENCH_POSTGRES) uses that server instead,
# and nothing is started.
pg_start() {
  local dir=$1 port=$2 bindir run=()
  if [ -n "${IVRD_BENCH_POSTGRES:-}" ]; then
    PG_URL=$IVRD_BENCH_POSTGRES PG_PSQL=("$IVRD_BENCH_POSTGRES") PG_PID=
    PG_PID=$(psql "${PG_PSQL[@]}" -Atc "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'" 2>/dev/null || true)
    return 0
  fi
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }
  rm -rf "$dir"; mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir" || return 1
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  local preload=""
  [ -e "$("$bindir/pg_config" --pkglibdir 2>/dev/null || echo /nonexistent)/pg_stat_statements.so" ] && preload=pg_stat_statements
  [ -z "$preload" ] && [ -e "/usr/lib/postgresql/$(basename "$(dirname "$bindir")")/lib/pg_stat_statements.so" ] && preload=pg_stat_statements
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_preload_libraries = '$preload'
pg_stat_statements.track = all
EOF
  "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  PG_PID=$(head -1 "$dir/data/postmaster.pid")
  PG_DIR=$dir PG_BINDIR=$bindir PG_RUN=("${run[@]}")
  PG_PSQL=(-h "$dir" -p "$port" -U postgres -d postgres)
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  [ -n "$preload" ] && psql "${PG_PSQL[@]}" -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
  return 0
}

# pg_stop: stops the server pg_start started (none: nothing).
pg_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
    "${PG_RUN[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  PG_DIR=
}

# pg_cpu_ticks: user+system clock ticks so far of the PostgreSQL server:
# the postmaster, every process it runs, and those it ran and reaped
# (its cutime and cstime: backends of connections closed since). 0 when
# unknown.
pg_cpu_ticks() {
  [ -n "${PG_PID:-}" ] || { echo 0; return; }
  local kids p
  kids=$(ps -o pid= --ppid "$PG_PID")
  {
    sed 's/.*) //' "/proc/$PG_PID/stat" | awk '{ print $12 + $13 + $14 + $15 }'
    for p in $kids; do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }' || true; done
  } | awk '{ t += $1 } END { print t + 0 }'
}

# proc_ticks PID...: user+system clock ticks so far of those processes
# (their threads included), summed.
proc_ticks() {
  local p
  for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null || true; done | sed 's/.*) //' | awk '{ t += $12 + $13 } END { print t + 0 }'
}

# store_bench_menu HOOK_PORT: the part of the configuration the store
# benchmarks share (durability.sh, pgrestart.sh, cluster_cost.sh): the
# load generator's trunk, one webhook receiver on HOOK_PORT (so every
# call has outbox rows) and the one menu the calls reach.
store_bench_menu() {
  cat <<EOF
trunks:
  - { name: loadgen, uri: "sip:127.0.0.1:5070", inbound_from: ["127.0.0.1"] }
webhooks:
  - { name: bench, url: "http://127.0.0.1:$1/hook", secret: "bench-webhook-secret" }
ivrs:
  - id: load
    extensions: ["100"]
    greeting: welcome
    prompt: main-choices
    prompt_repeat: 5
    response_timeout: 10s
    keys:
      "1": { uri: "sip:sales@127.0.0.1:5070" }
EOF
}
