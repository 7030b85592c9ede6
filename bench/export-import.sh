#!/usr/bin/env bash
# bench/export-import.sh: a whole account out through GET /account/export.zip and back in through
# the /account/import upload, on the filesystem and on S3, with the server's memory measured all along. For each blob backend it starts the
# server (Release build, PostgreSQL metadata), fills user "bench" with a few large blobs and many
# small JSON documents (together <size> MiB), logs in as a browser does (cookie + antiforgery),
# downloads the zip while sampling the server's RSS every 50 ms, and checks the zip (every entry's
# CRC, the manifest's document count and every document's SHA-256). Then it logs in as a second
# user, uploads that zip on /account/import (multipart, as the page's form does), polls the import
# job until it is done, again sampling the server's RSS, and checks the new user's document count.
#
#   bash bench/export-import.sh [size in MiB, default 1024]
#
# It starts PostgreSQL and Swift itself (tests/services/*.sh) and stops them afterwards.
# Output: Markdown tables on stdout, also written to bench/results/export-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
small_count=${BENCH_SMALL_DOCS:-5000}
small_bytes=4096
large_count=4
large=$(( (size_mib * 1024 * 1024 - small_count * small_bytes) / large_count ))
password="bench password 1234"

source bench/lib.sh
bench_setup

echo "writing a $(bench_mib "$large") MiB test file…" >&2
head -c "$large" /dev/urandom >"$work/large"

results=()
import_results=()
for backend in FileSystem S3; do
  bench_start_server "export-$backend" "$backend" "Storage__MaxDocumentBytes=$((large * 2))"
  (cd "$work/app" && env "${env_args[@]}" dotnet UnhostedStore.dll users set-password bench --password-stdin <<<"$password" >/dev/null)

  echo "bench: $backend: $large_count large documents, $small_count small ones…" >&2
  for i in $(seq 1 "$large_count"); do
    curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: video/mp4' -T "$work/large" "$base/videos/clip-$i.mp4"
  done
  /usr/bin/python3 bench/populate.py put "$base/notes/" "$token" "$small_count" 8 "$small_bytes"
  total=$((large_count * large + small_count * small_bytes))

  # Log in as a browser does: the form's antiforgery token and cookie, then the login cookie.
  jar="$work/cookies-$backend"
  form=$(curl -sf -c "$jar" "$server_url/login")
  csrf=$(echo "$form" | sed -n 's/.*name="__RequestVerificationToken" type="hidden" value="\([^"]*\)".*/\1/p' | head -n 1)
  curl -sf -o /dev/null -b "$jar" -c "$jar" --data-urlencode "UserName=bench" --data-urlencode "Password=$password" \
    --data-urlencode "__RequestVerificationToken=$csrf" "$server_url/login"

  # Warm up (JIT, pools) with a module export, then take the baseline.
  curl -sf -o /dev/null -b "$jar" "$server_url/account/export.zip?module=notes"
  sleep 1
  baseline=$(bench_rss_kib "$server_pid")
  touch "$work/rss-$backend.run"
  bench_sample_rss "$server_pid" "$work/rss-$backend" &
  sampler=$!
  t0=$(date +%s.%N)
  curl -sf -b "$jar" -o "$work/export.zip" "$server_url/account/export.zip"
  t1=$(date +%s.%N)
  rm -f "$work/rss-$backend.run"
  wait "$sampler" || true
  peak=$(cat "$work/rss-$backend")
  zip_size=$(stat -c %s "$work/export.zip")

  /usr/bin/python3 - "$work/export.zip" "$((large_count + small_count))" <<'PY'
import hashlib, json, sys, zipfile
path, expected = sys.argv[1], int(sys.argv[2])
with zipfile.ZipFile(path) as z:
    manifest = json.loads(z.read("unhostedstore-export.json"))
    assert manifest["documents"] == expected, (manifest["documents"], expected)
    for name, digest in manifest["sha256"].items():
        h = hashlib.sha256()
        with z.open(name) as f:  # reading to the end checks the entry's CRC too
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        assert h.hexdigest() == digest, name
PY
  growth_mib=$(bench_mib $(( (peak - baseline) * 1024 )))

  # Import: the zip, uploaded by a second user on the import page, processed to the end.
  (cd "$work/app" && env "${env_args[@]}" dotnet UnhostedStore.dll users add importer --password-stdin <<<"$password" >/dev/null)
  jar2="$work/cookies-import-$backend"
  form=$(curl -sf -c "$jar2" "$server_url/login")
  csrf=$(echo "$form" | sed -n 's/.*name="__RequestVerificationToken" type="hidden" value="\([^"]*\)".*/\1/p' | head -n 1)
  curl -sf -o /dev/null -b "$jar2" -c "$jar2" --data-urlencode "UserName=importer" --data-urlencode "Password=$password" \
    --data-urlencode "__RequestVerificationToken=$csrf" "$server_url/login"
  form=$(curl -sf -b "$jar2" -c "$jar2" "$server_url/account/import")
  csrf=$(echo "$form" | sed -n 's/.*name="__RequestVerificationToken" type="hidden" value="\([^"]*\)".*/\1/p' | head -n 1)
  sleep 1
  import_baseline=$(bench_rss_kib "$server_pid")
  touch "$work/rss-import-$backend.run"
  bench_sample_rss "$server_pid" "$work/rss-import-$backend" &
  sampler=$!
  t2=$(date +%s.%N)
  location=$(curl -sf -o /dev/null -w '%{redirect_url}' -b "$jar2" -c "$jar2" -F "archive=@$work/export.zip;type=application/zip" \
    -F "Mode=skip" -F "__RequestVerificationToken=$csrf" "$server_url/account/import")
  job=${location##*job=}
  [[ -n $job && $job != "$location" ]] || { echo "bench: the import upload did not start a job (redirect: '$location')" >&2; exit 1; }
  state=checking
  while [[ $state == checking || $state == importing ]]; do
    sleep 0.2
    state=$(curl -sf -b "$jar2" "$server_url/account/import?handler=status&job=$job" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  done
  t3=$(date +%s.%N)
  rm -f "$work/rss-import-$backend.run"
  wait "$sampler" || true
  [[ $state == done ]] || { echo "bench: the import ended as '$state'" >&2; exit 1; }
  import_peak=$(cat "$work/rss-import-$backend")
  imported=$(cd "$work/app" && env "${env_args[@]}" dotnet UnhostedStore.dll users list | awk '$1 == "importer" { print $6 }')
  [[ $imported == $((large_count + small_count)) ]] || { echo "bench: the importer has $imported documents, not $((large_count + small_count))" >&2; exit 1; }
  rm -f "$work/export.zip"
  import_growth_mib=$(bench_mib $(( (import_peak - import_baseline) * 1024 )))
  import_results+=("| $backend | $imported | $(bench_mib "$total") | $(bench_mib "$zip_size") | $(bench_mib $((import_baseline * 1024))) | $(bench_mib $((import_peak * 1024))) | **$import_growth_mib** | $(bench_elapsed "$t2" "$t3") | $(bench_rate "$total" "$(bench_elapsed "$t2" "$t3")") |")
  results+=("| $backend | $((large_count + small_count)) | $(bench_mib "$total") | $(bench_mib "$zip_size") | $(bench_mib $((baseline * 1024))) | $(bench_mib $((peak * 1024))) | **$growth_mib** | $(bench_elapsed "$t0" "$t1") | $(bench_rate "$total" "$(bench_elapsed "$t0" "$t1")") |")
  bench_stop_server
done

mkdir -p bench/results
out="bench/results/export-$(date +%Y-%m-%d).md"
{
  echo "# Export and import run, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  bench_machine
  echo "Account: $large_count documents of $(bench_mib "$large") MiB (random bytes, video/mp4: stored, not deflated) and $small_count JSON documents of $small_bytes bytes (deflated)."
  echo "Server: Release build, PostgreSQL 15 metadata. Export: \`GET /account/export.zip\` with a login cookie, read by curl as fast as it comes; the zip is then checked (CRC of every entry, manifest count, SHA-256 of every document)."
  echo
  echo "| blob store | documents | stored (MiB) | zip (MiB) | RSS before (MiB) | RSS peak (MiB) | RSS growth (MiB) | export (s) | export (MiB/s) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${results[@]}"
  echo
  echo "Import: the same zip uploaded by a second user on \`/account/import\` (multipart, skip mode; the upload is spooled to a temp file, then every document goes through the ordinary write path), timed from the first byte of the upload until the job reports done."
  echo
  echo "| blob store | documents | stored (MiB) | zip (MiB) | RSS before (MiB) | RSS peak (MiB) | RSS growth (MiB) | import (s) | import (MiB/s) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${import_results[@]}"
  echo
  echo "Target: RSS growth under 64 MiB, whatever the account's size (the zip is written as it is read; no temp copy; an import reads one entry at a time)."
} | tee "$out"
