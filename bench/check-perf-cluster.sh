#!/usr/bin/env bash
# `etcdctl check perf` against 3-member clusters on loopback: a real etcd cluster, then a Strata cluster
# per engine, one cluster at a time, each on fresh data dirs, with --endpoints listing all three members
# (etcdctl spreads its clients over them, so followers forward writes to the leader as in production).
# --load=l: 500 clients, 8,000 writes/s target, 60 s of 256 B-key/1 KiB-value puts.
# The script starts and stops every member itself (loopback, free ports). 3 members on one machine
# share its cores and disk: compare the rows with each other, not with single-member check-perf.sh.
#
# Usage: bench/check-perf-cluster.sh             (targets: etcd btree lsm; load: l)
#        TARGETS="etcd lsm" LOADS="l xl" bench/check-perf-cluster.sh
#        MIXED=1 adds a btree,lsm,btree Strata cluster.
#        MEMBERS=1 runs single members (bench/check-perf.sh does, with its own defaults).
# Needs: /usr/bin/etcd, /usr/bin/etcdctl (3.4), python3 (free ports), and the packaged server:
#        mvn -B -q package -pl server -DskipTests   (server/target/server-*.jar + server/target/lib/)
# Output: bench/target/check-perf-cluster-<timestamp>/{summary.txt,<target>-<load>.out,<target>-<load>-m<i>.log}
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGETS=${TARGETS:-"etcd btree lsm"}
[[ -n "${MIXED:-}" ]] && TARGETS="$TARGETS btree,lsm,btree"
LOADS=${LOADS:-"l"}
ETCD=${ETCD:-/usr/bin/etcd}
ETCDCTL=${ETCDCTL:-/usr/bin/etcdctl}
STRATA_JVM_OPTS=${STRATA_JVM_OPTS:-}  # after bin/jvm.options, which bin/strata uses too
mapfile -t JVM_OPTIONS < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ROOT/bin/jvm.options")
MEMBERS=${MEMBERS:-3}
OUT=${OUT:-$ROOT/bench/target/check-perf-cluster-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

PIDS=()
DATA_DIRS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
  local d
  for d in "${DATA_DIRS[@]}"; do rm -rf "$d"; done
  DATA_DIRS=()
}
trap 'cleanup; rm -rf "$DIST"' EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A private copy of the server jar + lib/, taken once: a concurrent `mvn package` rewriting
# server/target under running members makes them fail on their next class load.
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

# start_cluster <target> <logprefix>: target is etcd, an engine, or a comma list of engines (one per
# member). Sets PIDS, ENDPOINTS; waits until every member logged its ready line (180 s max).
start_cluster() {
  local target=$1 logprefix=$2 i
  local -a client peer engines
  IFS=, read -r -a engines <<<"$target"
  for ((i = 0; i < MEMBERS; i++)); do
    client[i]=$(free_port); peer[i]=$(free_port)
    [[ -n "${engines[i]:-}" ]] || engines[i]=${engines[0]}
  done
  local initial="" 
  for ((i = 0; i < MEMBERS; i++)); do initial+="${initial:+,}m$((i + 1))=http://127.0.0.1:${peer[i]}"; done
  ENDPOINTS=""
  for ((i = 0; i < MEMBERS; i++)); do
    local dir log
    dir=$(mktemp -d "${TMPDIR:-/tmp}/check-perf-cluster-${target//,/-}-XXXXXX"); DATA_DIRS+=("$dir")
    log="$logprefix-m$((i + 1)).log"
    ENDPOINTS+="${ENDPOINTS:+,}127.0.0.1:${client[i]}"
    local flags=(--name "m$((i + 1))" --data-dir "$dir"
      --listen-client-urls "http://127.0.0.1:${client[i]}" --advertise-client-urls "http://127.0.0.1:${client[i]}"
      --listen-peer-urls "http://127.0.0.1:${peer[i]}" --initial-advertise-peer-urls "http://127.0.0.1:${peer[i]}"
      --initial-cluster "$initial" --initial-cluster-token "check-perf-cluster")
    if [[ ${engines[i]} == etcd ]]; then
      "$ETCD" "${flags[@]}" >"$log" 2>&1 &
    else
      # shellcheck disable=SC2086
      java "${JVM_OPTIONS[@]}" $STRATA_JVM_OPTS \
        -cp "$DIST/server.jar:$DIST/lib/*" dev.strata.server.Main "${flags[@]}" --backend "${engines[i]}" >"$log" 2>&1 &
    fi
    PIDS+=($!)
  done
  for ((i = 0; i < MEMBERS; i++)); do
    local log="$logprefix-m$((i + 1)).log" ok=""
    for _ in $(seq 1 1800); do
      if grep -q 'ready to serve client requests' "$log"; then ok=yes; break; fi
      kill -0 "${PIDS[i]}" 2>/dev/null || break
      sleep 0.1
    done
    if [[ -z "$ok" ]]; then
      echo "$target member m$((i + 1)) did not become ready; last lines of $log:" >&2
      tail -30 "$log" >&2
      return 1
    fi
  done
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

[[ " $TARGETS " =~ (btree|lsm) ]] && snapshot_server

ROW='%-16s %-4s %-6s %-12s %-10s %-10s %s\n'
{
  echo "etcdctl check perf, $MEMBERS-member clusters on loopback, $(hostname), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "etcd: $("$ETCD" --version | head -1)"
  printf "$ROW" target load result 'writes/s' slowest stddev notes
} | tee "$OUT/summary.txt"

for target in $TARGETS; do
  for load in $LOADS; do
    name="${target//,/-}-$load"
    out="$OUT/$name.out"
    if ! start_cluster "$target" "$OUT/$name"; then
      printf "$ROW" "$target" "$load" START - - - "see $name-m*.log" | tee -a "$OUT/summary.txt"
      cleanup; continue
    fi
    load_before=$(cut -d' ' -f1 /proc/loadavg)  # other work on the machine skews the numbers: record it
    set +e
    ETCDCTL_API=3 timeout 300 "$ETCDCTL" --endpoints="$ENDPOINTS" check perf --load="$load" >"$out" 2>&1
    rc=$?
    set -e
    dead=""
    for ((i = 0; i < MEMBERS; i++)); do kill -0 "${PIDS[i]}" 2>/dev/null || dead+="${dead:+,}m$((i + 1))"; done
    cleanup
    summarize "$out"
    [[ -z "$dead" ]] || notes="died: $dead; $notes"
    [[ -n "$result" ]] || result="rc=$rc"
    notes="loadavg-before=$load_before${notes:+; $notes}"
    printf "$ROW" "$target" "$load" "$result" "${tput:--}" "${slow:--}" "${stdv:--}" "$notes" | tee -a "$OUT/summary.txt"
  done
done
echo "details: $OUT"
