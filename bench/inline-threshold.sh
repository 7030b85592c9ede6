#!/usr/bin/env bash
# bench/inline-threshold.sh: how large may a document be and still be cheaper in the metadata
# row than in the blob store? For each blob store (filesystem, S3) and each size it measures the
# median latency of PUT and GET over one keep-alive connection, with inlining off
# (Storage:InlineMaxBytes=0) and on (65536). The Storage:InlineMaxBytes default comes from this.
#
#   bash bench/inline-threshold.sh [requests per size, default 200]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
n=${1:-200}
bench_setup

measure() { # prints "size put_ms get_ms" lines
  /usr/bin/python3 - "$base" "$token" "$n" <<'PY'
import http.client, os, statistics, sys, time, urllib.parse
base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)
def req(method, path, body=None):
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = "application/octet-stream"
    t = time.perf_counter()
    conn.request(method, u.path + path, body=body, headers=headers)
    r = conn.getresponse(); r.read()
    if r.status >= 300: raise SystemExit(f"{method} {path}: {r.status}")
    return (time.perf_counter() - t) * 1000
for size in (256, 1024, 4096, 16384, 65536):
    body = os.urandom(size)
    for i in range(20):  # warm-up
        req("PUT", f"/warm/{size}/{i}", body); req("GET", f"/warm/{size}/{i}")
    puts = [req("PUT", f"/s{size}/d{i % 50}", body) for i in range(n)]
    gets = [req("GET", f"/s{size}/d{i % 50}") for i in range(n)]
    print(size, f"{statistics.median(puts):.2f}", f"{statistics.median(gets):.2f}")
PY
}

declare -A result
for blobs in FileSystem S3; do
  for inline in 0 65536; do
    bench_start_server "inline-$blobs-$inline" "$blobs" "Storage__InlineMaxBytes=$inline"
    while read -r size put get; do result["$blobs,$inline,$size"]="$put / $get"; done < <(measure)
    bench_stop_server
  done
done

mkdir -p bench/results
out="bench/results/inline-threshold-$(date +%Y-%m-%d).md"
{
  echo "# Inline threshold run, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  bench_machine
  echo "Median latency in ms of PUT / GET, $n requests per size, one keep-alive connection, PostgreSQL metadata."
  echo
  echo "| size | filesystem, blob | filesystem, inline | S3, blob | S3, inline |"
  echo "|---|---|---|---|---|"
  for size in 256 1024 4096 16384 65536; do
    echo "| $size B | ${result[FileSystem,0,$size]} | ${result[FileSystem,65536,$size]} | ${result[S3,0,$size]} | ${result[S3,65536,$size]} |"
  done
} | tee "$out"
