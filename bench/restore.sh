#!/usr/bin/env bash
# bench/restore.sh: how long putting a folder of 10,000 documents back as it was takes on
# PostgreSQL + FS. Not a test: it times things, CI does not.
#
#   bash bench/restore.sh
#
# A fresh server (history on, the default) gets a folder of BENCH_RESTORE_DOCS JSON documents of
# 1,024 bytes, over HTTP; the time is noted; every document is overwritten with 512 bytes; then
# `history restore bench /restore/ --as-of <that time>` runs, the admin CLI as an operator would
# use it, through the same planning and write path as the folder restore page. Its wall time
# includes the CLI's own start-up, which `users list` on the same store measures apart. The
# folder is then read back over HTTP: every document must have its 1,024 bytes again.
#
# Environment (all optional):
#   BENCH_RESTORE_DOCS    documents in the folder (default 10000)
#   BENCH_RESULTS         where to write the results (default bench/results/restore-<YYYY-MM-DD>.md)
# shellcheck shell=bash
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
BENCH_NO_S3=1 bench_setup
docs=${BENCH_RESTORE_DOCS:-10000}

bench_start_server restore FileSystem "Storage__MaxDocumentBytes=1048576"
bench_track "$server_pid"
cli() { (cd "${app_dir:-$work/app}" && env "${env_args[@]}" dotnet UnhostedStore.dll "$@"); }
# seconds <command…>: runs it (its stdout discarded) and prints its wall time in seconds.
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); bench_elapsed "$t0" "$t1"; }

log_line() { echo "bench: restore: $*" >&2; }
log_line "writing $docs documents of 1,024 bytes…"
t_write1=$(seconds python3 bench/populate.py put "$base/restore/" "$token" "$docs" 8 1024)
sleep 1
as_of=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 1
log_line "overwriting them with 512 bytes…"
t_write2=$(seconds python3 bench/populate.py put "$base/restore/" "$token" "$docs" 8 512)

# The CLI's start-up alone: a command that reads one small table.
t_startup=$(seconds cli users list)
log_line "restoring /restore/ as of $as_of…"
t0=$(date +%s.%N)
cli history restore bench /restore/ --as-of "$as_of" >"$work/restore.out" 2>"$work/restore.err"
t1=$(date +%s.%N)
t_restore=$(bench_elapsed "$t0" "$t1")
restored=$(grep -c '^restored ' "$work/restore.out" || true)

# Every document must be back at 1,024 bytes: a HEAD per document, 8 connections.
wrong=$(python3 - "$base/restore/" "$token" "$docs" <<'PY'
import http.client, sys, threading, urllib.parse
folder, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(folder)
bad = []
def worker(start):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    for i in range(start, count, 8):
        conn.request("HEAD", f"{u.path}d{i}", headers={"Authorization": "Bearer " + token})
        r = conn.getresponse(); r.read()
        if r.status != 200 or r.getheader("Content-Length") != "1024":
            bad.append(i)
threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
print(len(bad))
PY
)

out=${BENCH_RESULTS:-bench/results/restore-$(date +%F).md}
mkdir -p "$(dirname "$out")"
{
  echo "# Folder restore of $docs documents, PostgreSQL + FS, $(date '+%Y-%m-%d %H:%M %Z'), commit $(git rev-parse --short HEAD)"
  echo
  bench_machine
  echo
  echo "\`bench/restore.sh\`: a fresh server (history on), a folder of $docs JSON documents of 1,024 bytes written over HTTP (8 connections), the time noted, every document overwritten with 512 bytes, then \`history restore bench /restore/ --as-of <that time>\` (the admin CLI; the same planning and write path as the restore page). Afterwards a HEAD of every document checks its length."
  echo
  echo "| step | seconds |"
  echo "|---|---:|"
  echo "| write $docs documents (1,024 bytes) | $t_write1 |"
  echo "| overwrite them (512 bytes) | $t_write2 |"
  echo "| CLI start-up alone (\`users list\`) | $t_startup |"
  echo "| **\`history restore\` of the folder, start to exit** | **$t_restore** |"
  echo
  echo "- Documents reported restored: $restored of $docs; documents not back at 1,024 bytes afterwards: $wrong."
  echo "- The CLI's summary: \`$(tail -n 1 "$work/restore.out")\`"
  echo "- Target, restore of a 10,000-document folder < 10 s on PostgreSQL: $(awk -v t="$t_restore" -v r="$restored" -v d="$docs" -v w="$wrong" 'BEGIN { printf "%.1f s — %s", t, (t < 10 && r == d && w == 0 && d >= 10000) ? "met" : "**missed**" }')"
} | tee "$out"
echo "bench: results written to $out" >&2
