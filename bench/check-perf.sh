#!/usr/bin/env bash
# `etcdctl check perf` (60 s of 256 B-key/1 KiB-value puts; --load=l: 500 clients, 8,000 writes/s target;
# --load=xl: 1,000 clients, 15,000 writes/s) against real etcd and against Strata on each engine,
# on this machine, one server at a time, each run on a fresh member with a fresh data dir.
# The script starts and stops every server itself (loopback, free ports).
#
# Usage: bench/check-perf.sh            (targets: etcd btree lsm; loads: l xl)
#        TARGETS="btree" LOADS="l" bench/check-perf.sh
# Needs: /usr/bin/etcd, /usr/bin/etcdctl (3.4), python3 (free ports), and the packaged server:
#        mvn -B -q package -pl server -DskipTests   (server/target/server-*.jar + server/target/lib/)
# Output: bench/target/check-perf-<timestamp>/{summary.txt,<target>-<load>.out,<target>-<load>.log}
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGETS=${TARGETS:-"etcd btree lsm"}
LOADS=${LOADS:-"l xl"}
ETCD=${ETCD:-/usr/bin/etcd}
ETCDCTL=${ETCDCTL:-/usr/bin/etcdctl}
STRATA_JVM_OPTS=${STRATA_JVM_OPTS:-}
OUT=${OUT:-$ROOT/bench/target/check-perf-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

SERVER_PID=""
DATA_DIR=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  [[ -n "$DATA_DIR" ]] && rm -rf "$DATA_DIR"
  DATA_DIR=""
}
trap 'cleanup; rm -rf "$DIST"' EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A private copy of the server jar + lib/, taken once: a concurrent `mvn package` rewriting
# server/target under a running member makes it fail on its next class load.
DIST="$OUT/dist"
snapshot_server() {
  local jar
  jar=$(ls "$ROOT"/server/target/server-*.jar 2>/dev/null | grep -v -e '-tests.jar$' -e '-sources.jar$' | head -1 || true)
  if [[ -z "$jar" || ! -d "$ROOT/server/target/lib" ]]; then
    echo "no server jar + lib/ in $ROOT/server/target; run: mvn -B -q package -pl server -DskipTests" >&2
    exit 2
  fi
  mkdir -p "$DIST"
  cp -r "$ROOT/server/target/lib" "$DIST/lib"
  cp "$jar" "$DIST/server.jar"
}

# start_server <target> <log>: sets SERVER_PID, CLIENT_PORT; waits for the ready line (120 s max).
start_server() {
  local target=$1 log=$2 peer
  CLIENT_PORT=$(free_port); peer=$(free_port)
  DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/check-perf-$target-XXXXXX")
  local flags=(--name default --data-dir "$DATA_DIR"
    --listen-client-urls "http://127.0.0.1:$CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$CLIENT_PORT"
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer"
    --initial-cluster "default=http://127.0.0.1:$peer")
  if [[ $target == etcd ]]; then
    "$ETCD" "${flags[@]}" >"$log" 2>&1 &
  else
    # shellcheck disable=SC2086
    java $STRATA_JVM_OPTS --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
      -cp "$DIST/server.jar:$DIST/lib/*" dev.strata.server.Main "${flags[@]}" --backend "$target" >"$log" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 1 1200); do
    if grep -q 'ready to serve client requests' "$log"; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "$target did not become ready; last lines of $log:" >&2
  tail -30 "$log" >&2
  return 1
}

# summarize <out>: sets tput, slow, stdv, result, notes from etcdctl's report, which reads e.g.
#   "PASS: Throughput is 146 writes/s" / "FAIL: Throughput too low: 2506 writes/s"
#   "PASS: Slowest request took 0.39s" / "Slowest request took too long: 1.0s"
#   "PASS: Stddev is 0.03s" / "Stddev too high: 0.12s", then "PASS" or "FAIL".
summarize() {
  local out=$1
  tput=$(grep -o -E 'Throughput (is|too low:) [0-9]+ writes/s' "$out" | grep -o -E '[0-9]+' | head -1 || true)
  slow=$(grep -o -E 'Slowest request took (too long: )?[0-9.]+s' "$out" | grep -o -E '[0-9.]+s$' | head -1 || true)
  stdv=$(grep -o -E 'Stddev (is|too high:) [0-9.]+s' "$out" | grep -o -E '[0-9.]+s$' | head -1 || true)
  result=$(tail -1 "$out" | grep -o -E '^(PASS|FAIL)' || true)
  notes=$(grep -o -E '(Error|error): [^.]*' "$out" | head -2 | paste -sd';' || true)
}

[[ " $TARGETS " == *" btree "* || " $TARGETS " == *" lsm "* ]] && snapshot_server

{
  echo "etcdctl check perf on $(hostname), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "etcd: $("$ETCD" --version | head -1)"
  printf '%-6s %-4s %-6s %-12s %-10s %-10s %s\n' target load result 'writes/s' slowest stddev notes
} | tee "$OUT/summary.txt"

for target in $TARGETS; do
  for load in $LOADS; do
    out="$OUT/$target-$load.out"
    if ! start_server "$target" "$OUT/$target-$load.log"; then
      printf '%-6s %-4s %-6s %-12s %-10s %-10s %s\n' "$target" "$load" START - - - "see $target-$load.log" | tee -a "$OUT/summary.txt"
      cleanup; continue
    fi
    load_before=$(cut -d' ' -f1 /proc/loadavg)  # other work on the machine skews the numbers: record it
    set +e
    ETCDCTL_API=3 timeout 300 "$ETCDCTL" --endpoints="127.0.0.1:$CLIENT_PORT" check perf --load="$load" >"$out" 2>&1
    rc=$?
    set -e
    alive=yes; kill -0 "$SERVER_PID" 2>/dev/null || alive="server died"
    cleanup
    summarize "$out"
    [[ $alive == yes ]] || notes="$alive; $notes"
    [[ -n "$result" ]] || result="rc=$rc"
    notes="loadavg-before=$load_before${notes:+; $notes}"
    printf '%-6s %-4s %-6s %-12s %-10s %-10s %s\n' "$target" "$load" "$result" "${tput:--}" "${slow:--}" "${stdv:--}" "$notes" \
      | tee -a "$OUT/summary.txt"
  done
done
echo "details: $OUT"
