#!/usr/bin/env bash
# Conference rooms and call queues under load (issue 20), pinned as
# bench/sweep.sh pins: ivrd alone on CPU 0, the callers (ivrload) on
# CPU 1, default scheduling as deployed.
#
#   MODE=conference ROOMS=3 PER_ROOM=10 bench/rooms.sh
#     ROOMS rooms of PER_ROOM participants, every one talking (ivrload
#     --audio talk: noise at -25 dBm0, above the mixer's silence gate, so
#     each participant is mixed and hears the N-1 others);
#   MODE=queue CALLERS=200 bench/rooms.sh
#     CALLERS callers waiting in one queue (no agent can be reached), each
#     hearing the music on hold and its position every 20 s.
#
# ivrload measures what each caller receives (interval error p99/p999,
# loss) and ivrd's CPU over the steady stretch; the tables go to
# $OUT/rooms-MODE.md. Loopback only, bounded, every process stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${MODE:-conference}
ROOMS=${ROOMS:-3}
PER_ROOM=${PER_ROOM:-10}
CALLERS=${CALLERS:-200}
HOLD=${HOLD:-30}
RATE=${RATE:-50}
SIP_PORT=${SIP_PORT:-25160}
IVRD_CPU=${IVRD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
command -v taskset >/dev/null || { echo "rooms.sh: taskset missing (util-linux)" >&2; exit 1; }
make -s build ivrload

cfg="$OUT/rooms-$MODE.yaml"
{
  cat <<EOF
server:
  sip: { listen: ["udp://127.0.0.1:${SIP_PORT}"] }
  media: { rtp_ports: "20000-29999", inband: always }
trunks:
  - { name: loadgen, uri: "sip:127.0.0.1:5070", inbound_from: ["127.0.0.1"] }
EOF
  case "$MODE" in
    conference)
      echo "conferences:"
      for r in $(seq "$ROOMS"); do
        echo "  - { id: room$r, number: \"8$(printf '%02d' "$r")\", max_participants: $((PER_ROOM + 1)), tones: false }"
      done ;;
    queue)
      cat <<EOF
extensions:
  - { number: "201" }   # no contact, never registered: nobody is rung
queues:
  - { id: support, number: "600", members: ["201"], music: main-choices, announce_position: 20s, max_wait: 10m }
EOF
      ;;
    *) echo "rooms.sh: MODE=$MODE: want conference or queue" >&2; exit 1 ;;
  esac
  echo "ivrs:"
  echo "  - { id: main, extensions: [\"100\"], prompt: main-choices }"
} > "$cfg"

IVRD=
cleanup() {
  if [ -n "$IVRD" ]; then kill "$IVRD" 2>/dev/null || true; wait "$IVRD" 2>/dev/null || true; fi
}
trap cleanup EXIT
listening() { grep -qi ":$(printf '%04X' "$1") 00000000:0000" /proc/net/udp; }
if listening "$SIP_PORT"; then echo "rooms.sh: UDP port $SIP_PORT is taken; set SIP_PORT" >&2; exit 1; fi
taskset -c "$IVRD_CPU" ./bin/ivrd serve --config "$cfg" --log-level warn > "$OUT/rooms-$MODE-ivrd.log" 2>&1 &
IVRD=$!
for _ in $(seq 50); do listening "$SIP_PORT" && break; sleep 0.1; done
listening "$SIP_PORT" || { echo "rooms.sh: ivrd did not start (see $OUT/rooms-$MODE-ivrd.log)" >&2; exit 1; }

load=(timeout $((HOLD + 120)) taskset -c "$LOAD_CPU" ./bin/ivrload --target "127.0.0.1:${SIP_PORT}" --hold "${HOLD}s"
  --rate "$RATE" --pid "$IVRD")
files=()
pids=()
echo "rooms: $MODE, hold ${HOLD}s, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
case "$MODE" in
  conference)
    # One ivrload a room, all at once; each keeps to its own port range.
    for r in $(seq "$ROOMS"); do
      lo=$((40000 + (r - 1) * 2000))
      "${load[@]}" --to "8$(printf '%02d' "$r")" --calls "$PER_ROOM" --audio talk --rtp-ports "$lo-$((lo + 1999))" \
        --json "$OUT/rooms-conference-$r.json" >&2 &
      pids+=($!)
      files+=("$OUT/rooms-conference-$r.json")
    done ;;
  queue)
    "${load[@]}" --to 600 --calls "$CALLERS" --rtp-ports 40000-49999 --json "$OUT/rooms-queue.json" >&2 &
    pids+=($!)
    files+=("$OUT/rooms-queue.json") ;;
esac
for p in "${pids[@]}"; do wait "$p" || echo "rooms: an ivrload reported failures" >&2; done
./bin/ivrload table "${files[@]}" | tee "$OUT/rooms-$MODE.md"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/rooms-$MODE.md"
