#!/usr/bin/env bash
# bench/history-cpu.sh: what keeping history costs the embedded default's writer, per PUT. Not a test.
#
#   bash bench/history-cpu.sh            # history on, then off
#   MODES="on off on off" bash bench/history-cpu.sh
#
# For each mode a fresh embedded server (SQLite + filesystem) takes 5 s of PUTs (1 KB JSON over
# 1,000 keys, wrk, 32 connections) to warm up, then 15 s measured. It prints req/s, the server's
# CPU (user + system) per PUT and the data directory's size, and keeps a sampled-thread-time
# trace of 8 s of the measured window (dotnet-trace, from the repository's tool manifest) in
# $OUT (default /tmp/history-cpu): `dotnet dotnet-trace report $OUT/<run>.nettrace topN --inclusive`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
BENCH_NO_S3=1 bench_setup
dotnet tool restore >/dev/null
hz=$(getconf CLK_TCK)
out=${OUT:-/tmp/history-cpu}
mkdir -p "$out"
n=0
put() { env "BENCH_TOKEN=$token" BENCH_EXPECT=200,201 BENCH_MODE=put BENCH_KEYS=1000 BENCH_THREADS=2 wrk -t2 -c32 "-d$1" -s bench/wrk/bench.lua "$base/bench/put/"; }
for mode in ${MODES:-on off}; do
  n=$((n + 1))
  name="history-$mode-$n"
  extra=("Storage__MaxDocumentBytes=1048576")
  [[ $mode == off ]] && extra+=("Storage__VersionRetentionDays=0")
  bench_start_embedded "$name" "${extra[@]}"
  put 5s >/dev/null
  t0=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")
  (sleep 4; dotnet dotnet-trace collect -p "$server_pid" --profile dotnet-sampled-thread-time --duration 00:00:00:08 -o "$out/$name.nettrace" >/dev/null 2>&1 || true) &
  tracer=$!
  put 15s >"$out/$name.wrk"
  t1=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")
  wait "$tracer"
  requests=$(grep -Eo '^ *[0-9]+ requests' "$out/$name.wrk" | grep -Eo '[0-9]+')
  rate=$(grep -Eo 'Requests/sec: *[0-9.]+' "$out/$name.wrk" | grep -Eo '[0-9.]+$')
  cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v r="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
  echo "$name: $rate req/s, $cpu µs of server CPU per PUT, data directory $(du -sb "$work/data-$name" | cut -f1) bytes"
  bench_stop_server
done
