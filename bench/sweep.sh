#!/usr/bin/env bash
# The pinned capacity sweep of issue 12 (make bench-load): for each size,
# a fresh ivrd pinned to CPU 0 (taskset -c 0), ivrload on CPU 1, SIZE
# full-duplex calls (ivrd plays the menu, each caller sends 50 packets/s
# of PCMU, in-band detection on), measured over the steady stretch after
# the ramp. Writes bench/out/sweep-SIZE.json, bench/out/sweep.md, and the
# table to stdout.
#
#   SIZES="400 1000" HOLD=20 bench/sweep.sh
#
# Loopback only; every run is bounded (timeout) and every process started
# is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# IVRD_BIN runs another ivrd binary (an A/B of two builds; make build
# still builds bin/ivrd).
IVRD_BIN=${IVRD_BIN:-./bin/ivrd}

SIZES=${SIZES:-"400 800 1000 1500 2000"}
HOLD=${HOLD:-30}          # seconds each call lasts
RATE=${RATE:-200}         # calls started per second
SIP_PORT=${SIP_PORT:-25060}
IVRD_CPU=${IVRD_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-bench/out}
# NICE=-10 (root) favours ivrd and ivrload over other work on a shared
# machine (CFS weight ~9x), so a busy neighbour skews the figures less.
NICE=${NICE:-0}
# RT=1 (root) runs both under SCHED_RR priority 10 instead: on a machine
# whose other work cannot be stopped, the closest to having the two cores
# to themselves (the kernel still keeps 5 % of each core for the rest).
RT=${RT:-0}
# SRTP=aes_cm_80 (or aes_cm_32, gcm) makes every call SRTP: ivrd requires
# it (keys over UDP allowed, as on loopback nobody listens) and ivrload
# offers that suite. Use another OUT to keep the plain RTP figures.
SRTP=${SRTP:-}
# CODEC=g722 offers G.722 alone (ivrd lists G722 first): wideband calls.
# CODEC=opus offers Opus alone (ivrd lists opus first): both binaries
# must be built with Opus, which make does where pkg-config finds libopus
# (libopus-dev).
CODEC=${CODEC:-pcmu}
# TRANSPORT=tls places the calls over SIP/TLS: ivrd gets a tls:// listener
# on TLS_PORT with a certificate from a lab CA made here (ivrload lab-ca,
# in $OUT/tls), and ivrload spreads the calls over CONNECTIONS TLS
# connections, verifying the certificate against that CA. The issue-19
# figure: TRANSPORT=tls CONNECTIONS=50 SIZES=1000 RATE=200 bench/sweep.sh
TRANSPORT=${TRANSPORT:-udp}
CONNECTIONS=${CONNECTIONS:-50}
TLS_PORT=${TLS_PORT:-$((SIP_PORT + 1))}
# SLOTS=40 (or 100, 200) has ivrload spread each worker's calls over that
# many sending slots of the 20 ms period instead of 10 (a burst of a
# tenth of the calls every 2 ms): how finely the callers' packets are
# spread in time, to check that the figures do not depend on it.
SLOTS=${SLOTS:-}
# IVRD_ARGS adds flags to ivrd serve (e.g. --no-records, to measure what
# writing call records costs).
sched=(nice -n "$NICE")
[ "$RT" = 1 ] && sched=(chrt -r 10)
mkdir -p "$OUT"

command -v taskset >/dev/null || { echo "sweep.sh: taskset missing (util-linux)" >&2; exit 1; }
make -s build ivrload

cfg="$OUT/sweep.yaml"
sed -e "s/127.0.0.1:5060/127.0.0.1:${SIP_PORT}/" bench/ivrload.yaml > "$cfg"
# Capacity is measured up to and past where the overload guard starts
# refusing calls (the pacers' p99 lateness past 1.5 ms, media/overload.go):
# off here, so every size is offered in full; the guard's own curve is
# bench/overload.sh's.
sed -i -e 's/^    inband: always$/    inband: always\n    overload_guard: false/' "$cfg"
grep -q "overload_guard: false" "$cfg" || { echo "sweep.sh: could not turn the overload guard off in $cfg" >&2; exit 1; }
load_args=()
if [ -n "$SRTP" ]; then
  sed -i -e 's/^    inband: always$/    inband: always\n    srtp: required\n    srtp_insecure_signalling: true/' "$cfg"
  grep -q "srtp: required" "$cfg" || { echo "sweep.sh: could not turn SRTP on in $cfg" >&2; exit 1; }
  load_args=(--srtp "$SRTP")
fi
case "$CODEC" in
  pcmu) ;;
  g722)
    sed -i -e 's/^    inband: always$/    inband: always\n    codecs: [G722, PCMU, PCMA]/' "$cfg"
    grep -q "codecs: \[G722" "$cfg" || { echo "sweep.sh: could not offer G.722 in $cfg" >&2; exit 1; }
    load_args+=(--codec g722) ;;
  opus)
    if ! pkg-config --exists opus 2>/dev/null; then
      echo "sweep.sh: CODEC=opus needs libopus (apt-get install libopus-dev pkg-config), so make builds ivrd and ivrload with Opus" >&2; exit 1
    fi
    sed -i -e 's/^    inband: always$/    inband: always\n    codecs: [opus, G722, PCMU, PCMA]/' "$cfg"
    grep -q "codecs: \[opus" "$cfg" || { echo "sweep.sh: could not offer Opus in $cfg" >&2; exit 1; }
    load_args+=(--codec opus) ;;
  *) echo "sweep.sh: CODEC=$CODEC: want pcmu, g722 or opus" >&2; exit 1 ;;
esac

target=127.0.0.1:${SIP_PORT}
case "$TRANSPORT" in
  udp) ;;
  tls)
    tlsdir=$(cd "$OUT" && pwd)/tls
    ./bin/ivrload lab-ca --dir "$tlsdir" --ip 127.0.0.1 >&2
    sed -i -e "s#^    listen: \[\"udp://127.0.0.1:${SIP_PORT}\"\]\$#    listen: [\"udp://127.0.0.1:${SIP_PORT}\", \"tls://127.0.0.1:${TLS_PORT}\"]\n    tls: { cert: \"$tlsdir/server.pem\", key: \"$tlsdir/server.key\" }#" "$cfg"
    grep -q "tls://127.0.0.1:${TLS_PORT}" "$cfg" || { echo "sweep.sh: could not add the tls:// listener to $cfg" >&2; exit 1; }
    target=127.0.0.1:${TLS_PORT}
    load_args+=(--transport tls --connections "$CONNECTIONS" --tls-ca "$tlsdir/ca.pem")
    ;;
  *) echo "sweep.sh: TRANSPORT=$TRANSPORT: want udp or tls" >&2; exit 1 ;;
esac

IVRD=
stop_ivrd() {
  if [ -n "$IVRD" ]; then kill "$IVRD" 2>/dev/null || true; wait "$IVRD" 2>/dev/null || true; IVRD=; fi
}
trap stop_ivrd EXIT

# listening: is anything bound to UDP port $1 on loopback?
listening() { grep -qi ":$(printf '%04X' "$1") 00000000:0000" /proc/net/udp; }

files=()
for n in $SIZES; do
  if listening "$SIP_PORT"; then echo "sweep.sh: UDP port $SIP_PORT is taken; set SIP_PORT" >&2; exit 1; fi
  "${sched[@]}" taskset -c "$IVRD_CPU" "$IVRD_BIN" serve --config "$cfg" --log-level warn ${IVRD_ARGS:-} > "$OUT/sweep-$n-ivrd.log" 2>&1 &
  IVRD=$!
  for _ in $(seq 50); do listening "$SIP_PORT" && break; sleep 0.1; done
  if ! listening "$SIP_PORT" || ! kill -0 "$IVRD" 2>/dev/null; then
    echo "sweep.sh: ivrd did not start (see $OUT/sweep-$n-ivrd.log)" >&2; exit 1
  fi
  ramp=$(( (n + RATE - 1) / RATE ))
  echo "sweep: $n calls over $TRANSPORT, hold ${HOLD}s, ${RATE}/s, ${sched[*]}" >&2
  timeout $((HOLD + ramp + 60)) "${sched[@]}" taskset -c "$LOAD_CPU" ./bin/ivrload --target "$target" --to 100 \
    --calls "$n" --rate "$RATE" --hold "${HOLD}s" --rtp-ports 40000-49999 \
    --pid "$IVRD" --json "$OUT/sweep-$n.json" ${SLOTS:+--slots "$SLOTS"} ${load_args[@]+"${load_args[@]}"} >&2 || echo "sweep: ivrload reported failures at $n calls" >&2
  stop_ivrd
  files+=("$OUT/sweep-$n.json")
  sleep 1
done
./bin/ivrload table "${files[@]}" | tee "$OUT/sweep.md"
