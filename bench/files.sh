#!/usr/bin/env bash
# bench/files.sh: the file browser's own endpoints with a large file, on the filesystem and on
# S3, with the server's memory measured all along. For each blob backend it starts the server
# (Release build, PostgreSQL metadata), logs in as a browser does (GET /login for the
# antiforgery cookie and token, POST the form, then the token of the /files page), and:
#   PUT /files/upload?path=/big/upload.bin with the file (the RequestVerificationToken header,
#   If-None-Match: *), as files.js sends it;
#   GET /files/bytes?path=/big/upload.bin (the Download button) and checks its SHA-256;
#   GET /files/bytes?handler=zip&path=/big/ (the folder's zip) and checks the entry's SHA-256;
# sampling the server's RSS every 50 ms during each.
#
#   bash bench/files.sh [size in MiB, default 1024]
#
# It starts PostgreSQL and Swift itself (tests/services/*.sh) and stops them afterwards.
# Output: a Markdown table on stdout, also written to bench/results/files-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
size=$((size_mib * 1024 * 1024))
password="bench password 1234"

source bench/lib.sh
load=$(cut -d' ' -f1-3 /proc/loadavg)
bench_setup

echo "writing a ${size_mib} MiB test file…" >&2
head -c "$size" /dev/urandom >"$work/file"
sum=$(sha256sum "$work/file" | cut -d' ' -f1)

# measure <label> <command…>: runs the command while sampling the server's RSS; sets
# m_baseline, m_peak (KiB) and m_seconds.
measure() {
  local label=$1 sampler t0 t1; shift
  sleep 1
  m_baseline=$(bench_rss_kib "$server_pid")
  touch "$work/rss-$label.run"
  bench_sample_rss "$server_pid" "$work/rss-$label" &
  sampler=$!
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  rm -f "$work/rss-$label.run"
  wait "$sampler" || true
  m_peak=$(cat "$work/rss-$label")
  (( m_peak > m_baseline )) || m_peak=$m_baseline
  m_seconds=$(bench_elapsed "$t0" "$t1")
}

antiforgery_of() { sed -n 's/.*name="__RequestVerificationToken" type="hidden" value="\([^"]*\)".*/\1/p' | head -n 1; }

results=()
for backend in FileSystem S3; do
  bench_start_server "files-$backend" "$backend" "Storage__MaxDocumentBytes=$((size * 2))"
  (cd "$work/app" && env "${env_args[@]}" dotnet UnhostedStore.dll users set-password bench --password-stdin <<<"$password" >/dev/null)

  jar="$work/cookies-$backend"
  csrf=$(curl -sf -c "$jar" "$server_url/login" | antiforgery_of)
  curl -sf -o /dev/null -b "$jar" -c "$jar" --data-urlencode "UserName=bench" --data-urlencode "Password=$password" \
    --data-urlencode "__RequestVerificationToken=$csrf" "$server_url/login"
  csrf=$(curl -sf -b "$jar" -c "$jar" "$server_url/files" | antiforgery_of)
  [[ -n $csrf ]] || { echo "bench/files.sh: no antiforgery token on /files (not logged in?)" >&2; exit 1; }

  # Warm up (JIT, pools) with a small upload, download and zip, then measure.
  upload() { # path file type → HTTP status in $status
    status=$(curl -s -o "$work/answer" -w '%{http_code}' -b "$jar" -X PUT -H "RequestVerificationToken: $csrf" \
      -H "Content-Type: $3" -H 'If-None-Match: *' -T "$2" "$server_url/files/upload?path=$1" || true)
  }
  echo warm >"$work/warm"
  upload /warm/a.txt "$work/warm" text/plain
  [[ $status == 201 ]] || { echo "bench/files.sh: warm-up upload answered $status: $(cat "$work/answer")" >&2; exit 1; }
  curl -sf -o /dev/null -b "$jar" "$server_url/files/bytes?path=/warm/a.txt"
  curl -sf -o /dev/null -b "$jar" "$server_url/files/bytes?handler=zip&path=/warm/"

  echo "bench: $backend: upload…" >&2
  measure "upload-$backend" upload /big/upload.bin "$work/file" video/mp4
  [[ $status == 201 ]] || { echo "bench/files.sh: $backend upload answered $status: $(cat "$work/answer")" >&2; exit 1; }
  up=("$m_baseline" "$m_peak" "$m_seconds")

  echo "bench: $backend: download…" >&2
  download() { got=$(curl -sf -b "$jar" "$server_url/files/bytes?path=/big/upload.bin&download=1" | sha256sum | cut -d' ' -f1); }
  measure "download-$backend" download
  [[ $got == "$sum" ]] || { echo "bench/files.sh: $backend download returned different bytes" >&2; exit 1; }
  down=("$m_baseline" "$m_peak" "$m_seconds")

  echo "bench: $backend: zip…" >&2
  fetch_zip() { curl -sf -b "$jar" -o "$work/big.zip" "$server_url/files/bytes?handler=zip&path=/big/"; }
  measure "zip-$backend" fetch_zip
  zip_size=$(stat -c %s "$work/big.zip")
  /usr/bin/python3 - "$work/big.zip" "$sum" <<'PY'
import hashlib, sys, zipfile
path, expected = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(path) as z:
    assert z.namelist() == ["upload.bin"], z.namelist()
    h = hashlib.sha256()
    with z.open("upload.bin") as f:  # reading to the end checks the entry's CRC too
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    assert h.hexdigest() == expected, "zip entry differs"
PY
  rm -f "$work/big.zip"
  zipped=("$m_baseline" "$m_peak" "$m_seconds")

  row() { # label baseline peak seconds bytes
    echo "| $backend | $1 | $(bench_mib $(($2 * 1024))) | $(bench_mib $(($3 * 1024))) | **$(bench_mib $((($3 - $2) * 1024)))** | $4 | $(bench_rate "$5" "$4") |"
  }
  results+=("$(row "upload (PUT /files/upload)" "${up[@]}" "$size")")
  results+=("$(row "download (GET /files/bytes)" "${down[@]}" "$size")")
  results+=("$(row "folder zip (GET ?handler=zip, $(bench_mib "$zip_size") MiB)" "${zipped[@]}" "$zip_size")")
  bench_stop_server
done

mkdir -p bench/results
out="bench/results/files-$(date +%Y-%m-%d).md"
{
  echo "# Files page run, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  bench_machine
  echo "The machine is shared: other builds and test runs were using its cores at the same time (load average $load at the start), so throughput varies from run to run; memory figures are the server process's own."
  echo
  echo "Document: ${size_mib} MiB of random bytes, through the file browser's endpoints with a login cookie and the antiforgery header, as a browser sends them (curl). Stored as \`video/mp4\`, so the zip stores it as it is (media is not deflated). Server: Release build, PostgreSQL 15 metadata. RSS sampled every 50 ms; growth = peak during the transfer − RSS just before it (after a warm-up)."
  echo
  echo "| blob store | transfer | RSS before (MiB) | RSS peak (MiB) | RSS growth (MiB) | time (s) | MiB/s |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${results[@]}"
  echo
  echo "The download is timed with the client hashing it (curl | sha256sum), as the check of its bytes; the zip is checked after its timing."
  echo
  echo "Target: RSS growth under 64 MiB whatever the size (the upload streams into the write path; the download and the zip are written as they are read)."
} | tee "$out"
