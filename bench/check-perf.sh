#!/usr/bin/env bash
# `etcdctl check perf` (60 s of 256 B-key/1 KiB-value puts; --load=l: 500 clients, 8,000 writes/s target;
# --load=xl: 1,000 clients, 15,000 writes/s) against real etcd and against Strata on each engine,
# on this machine, one server at a time, each run on a fresh member with a fresh data dir.
# The script starts and stops every server itself (loopback, free ports): it is
# bench/check-perf-cluster.sh with one member per "cluster".
#
# Usage: bench/check-perf.sh            (targets: etcd btree lsm; loads: l xl)
#        TARGETS="btree" LOADS="l" bench/check-perf.sh
# Needs: /usr/bin/etcd, /usr/bin/etcdctl (3.4), python3 (free ports), and the packaged server:
#        mvn -B -q package -pl server -DskipTests   (server/target/server-*.jar + server/target/lib/)
# Output: bench/target/check-perf-<timestamp>/{summary.txt,<target>-<load>.out,<target>-<load>-m1.log}
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export MEMBERS=1
export LOADS=${LOADS:-"l xl"}
export OUT=${OUT:-$ROOT/bench/target/check-perf-$(date +%Y%m%d-%H%M%S)}
exec "$ROOT/bench/check-perf-cluster.sh"
