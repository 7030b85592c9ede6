#!/usr/bin/env bash
# bench/large-file.sh: a large document through UnhostedStore, on the filesystem and on S3,
# with the server's memory measured all along. For each blob backend it starts the server
# (Release build, PostgreSQL metadata) and does:
#   PUT with a known length, PUT chunked (unknown length), GET, ranged GET (1 MB in the middle),
# checks the bytes, and samples the server's RSS every 50 ms. It also uploads the same file
# straight to the S3 server (Swift's own API) to compare throughput.
#
#   bash bench/large-file.sh [size in MiB, default 1024]
#
# It starts PostgreSQL and Swift itself (tests/services/*.sh) and stops them afterwards.
# Output: a Markdown table on stdout, also written to bench/results/large-file-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
size=$((size_mib * 1024 * 1024))

source bench/lib.sh
bench_setup

echo "writing a ${size_mib} MiB test file…" >&2
head -c "$size" /dev/urandom >"$work/file"
sum=$(sha256sum "$work/file" | cut -d' ' -f1)
range_start=$((size / 2))
range_end=$((range_start + 1048575))
range_sum=$(dd if="$work/file" iflag=skip_bytes,count_bytes skip="$range_start" count=1048576 status=none | sha256sum | cut -d' ' -f1)

results=()
for backend in FileSystem S3; do
  bench_start_server "large-$backend" "$backend" "Storage__MaxDocumentBytes=$((size * 2))"
  # Warm up (JIT, pools) with a small document, then take the baseline.
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: text/plain' --data 'warm' "$base/big/warm"
  curl -sf -o /dev/null -H "Authorization: Bearer $token" "$base/big/warm"
  sleep 1
  baseline=$(bench_rss_kib "$server_pid")
  touch "$work/rss-$backend.run"
  bench_sample_rss "$server_pid" "$work/rss-$backend" &
  sampler=$!

  t0=$(date +%s.%N)
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/octet-stream' -T "$work/file" "$base/big/known"
  t1=$(date +%s.%N)
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/octet-stream' -H 'Transfer-Encoding: chunked' -T - "$base/big/chunked" <"$work/file"
  t2=$(date +%s.%N)
  got=$(curl -sf -H "Authorization: Bearer $token" "$base/big/chunked" | sha256sum | cut -d' ' -f1)
  t3=$(date +%s.%N)
  got_range=$(curl -sf -H "Authorization: Bearer $token" -r "$range_start-$range_end" "$base/big/known" | sha256sum | cut -d' ' -f1)
  t4=$(date +%s.%N)

  rm -f "$work/rss-$backend.run"
  wait "$sampler" || true
  peak=$(cat "$work/rss-$backend")
  [[ $got == "$sum" ]] || { echo "bench/large-file.sh: $backend GET returned different bytes" >&2; exit 1; }
  [[ $got_range == "$range_sum" ]] || { echo "bench/large-file.sh: $backend ranged GET returned different bytes" >&2; exit 1; }
  growth_mib=$(bench_mib $(( (peak - baseline) * 1024 )))
  results+=("| $backend | $(bench_mib $((baseline * 1024))) | $(bench_mib $((peak * 1024))) | **$growth_mib** | $(bench_rate "$size" "$(bench_elapsed "$t0" "$t1")") | $(bench_rate "$size" "$(bench_elapsed "$t1" "$t2")") | $(bench_rate "$size" "$(bench_elapsed "$t2" "$t3")") | $(bench_elapsed "$t3" "$t4") |")
  bench_stop_server
done

# The same file straight into the same Swift (its native API, same proxy), for comparison.
auth=$(curl -si -H "X-Auth-User: $S3_ACCESS_KEY" -H "X-Auth-Key: $S3_SECRET_KEY" "$S3_URL/auth/v1.0")
storage_url=$(echo "$auth" | awk -F': ' 'tolower($1) == "x-storage-url" { print $2 }' | tr -d '\r')
auth_token=$(echo "$auth" | awk -F': ' 'tolower($1) == "x-auth-token" { print $2 }' | tr -d '\r')
curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $auth_token" "$storage_url/direct"
t0=$(date +%s.%N)
curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $auth_token" -T "$work/file" "$storage_url/direct/file"
t1=$(date +%s.%N)
direct=$(bench_rate "$size" "$(bench_elapsed "$t0" "$t1")")

mkdir -p bench/results
out="bench/results/large-file-$(date +%Y-%m-%d).md"
{
  echo "# Large-file run, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  bench_machine
  echo "Document: ${size_mib} MiB of random bytes. Server: Release build, PostgreSQL 15 metadata."
  echo
  echo "| blob store | RSS before (MiB) | RSS peak (MiB) | RSS growth (MiB) | PUT known length (MiB/s) | PUT chunked (MiB/s) | GET (MiB/s) | ranged GET 1 MiB (s) |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${results[@]}"
  echo
  echo "Direct upload of the same file to the same Swift (native API): $direct MiB/s."
} | tee "$out"
