#!/usr/bin/env bash
# bench/run.sh: the benchmark, in one command. Not a test: it times things, CI does not.
#
#   bash bench/run.sh
#
# One after another (never two loaded at once, for fair numbers on a small machine), each bound
# to 127.0.0.1 with its data in a temp dir, it starts and loads:
#   ceiling     a raw Kestrel endpoint (bench/Ceiling) answering a fixed 1,024-byte body
#   embedded    UnhostedStore on the embedded default (SQLite + filesystem), with its start-to-ready
#               time (first start on a fresh data dir, then a restart)
#   pg-fs       UnhostedStore on PostgreSQL 15 + filesystem
#   pg-s3       UnhostedStore on PostgreSQL 15 + S3 (OpenStack Swift s3api)
#   armadietto  the reference server, npm armadietto 0.6.6 (its classic password-login server)
#   pgbench     pgbench -N on the same PostgreSQL: the commit-rate ceiling for PUT
#   history     what keeping versions costs: the PUT workload on embedded and PostgreSQL + FS
#               servers with history on (the default, 30 days) and off (VersionRetentionDays=0),
#               in alternating windows (bench/history.sh, which also runs on its own)
# The load is wrk with bench/wrk/bench.lua, always 32 connections (2 threads) on loopback. Each
# remoteStorage server gets the same data (user "bench", module "bench") and the same workloads:
#   GET of a 1 KB document with a bearer token; conditional GET -> 304 of that document and of a
#   folder; GET of a 100-item folder; PUT of 1 KB documents over 1,000 keys; GET of a 10,000-item
#   folder (also on one connection); and a 1 GiB upload (known length) with the server's RSS growth.
# Every response status is checked (a 304 workload must get 304s): a workload that got anything
# else is reported as failed, not as fast.
#
# Environment (all optional):
#   BENCH_DURATION   seconds per measured workload (default 15); pgbench runs as long
#   BENCH_WARMUP     seconds of unmeasured load before each workload (default 5; tiered JIT needs it)
#   BENCH_LARGE_MIB  size of the large upload in MiB (default 1024; 0 skips it)
#   BENCH_SERVERS    which of "ceiling embedded pg-fs pg-s3 armadietto pgbench history" to run (default: all)
#   BENCH_HISTORY_PAIRS, BENCH_HISTORY_WINDOW, BENCH_HISTORY_WARMUP  for "history" (bench/history.sh)
#   BENCH_RESULTS    where to write the results (default bench/results/<YYYY-MM-DD>.md)
#   BENCH_PG_SOCKET  1: the UnhostedStore servers reach PostgreSQL over its Unix-domain socket
#                    (Host=<socket directory>) instead of TCP on 127.0.0.1 (default 0)
#
# Needs: the .NET 10 SDK, PostgreSQL 15 (apt-get install -y postgresql-15), wrk, node + npm,
# python3, curl; Swift for pg-s3 (tests/services/start-swift.sh installs it when root). As root it
# installs what is missing with apt-get; armadietto is installed with `npm ci` from
# bench/armadietto/package-lock.json into bench/.cache/armadietto (ignored by git).
# Output: Markdown on stdout, also written to bench/results/<YYYY-MM-DD>.md.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-15}
warmup=${BENCH_WARMUP:-5}
large_mib=${BENCH_LARGE_MIB:-1024}
servers=" ${BENCH_SERVERS:-ceiling embedded pg-fs pg-s3 armadietto pgbench history} "
connections=32
threads=2
wrk_timeout=30s
c1_duration=$(( duration / 3 > 3 ? duration / 3 : 3 ))
for s in $servers; do
  case $s in ceiling | embedded | pg-fs | pg-s3 | armadietto | pgbench | history) ;; *) echo "bench/run.sh: unknown server '$s' in BENCH_SERVERS" >&2; exit 2 ;; esac
done
want() { [[ $servers == *" $1 "* ]]; }
log() { echo "bench: $*" >&2; }
started=$(date +%s)

# --- Tools: installed when root, else the exact install line. -----------------------------------
pgbin=/usr/lib/postgresql/15/bin
missing_pkgs=()
need_tool() { # command apt-package
  command -v "$1" >/dev/null 2>&1 || missing_pkgs+=("$2")
}
need_tool wrk wrk
need_tool curl curl
need_tool /usr/bin/python3 python3
if want armadietto; then need_tool node nodejs; need_tool npm npm; fi
[[ -x $pgbin/pgbench && -x $pgbin/initdb ]] || missing_pkgs+=(postgresql-15)
if ((${#missing_pkgs[@]})); then
  if [[ $(id -u) == 0 ]]; then
    log "installing ${missing_pkgs[*]} (apt-get)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing_pkgs[@]}" >/dev/null
  else
    echo "bench/run.sh: missing tools; install them with: sudo apt-get install -y ${missing_pkgs[*]}" >&2
    exit 1
  fi
fi
command -v dotnet >/dev/null || { echo "bench/run.sh: the .NET 10 SDK is required (https://dot.net)" >&2; exit 1; }

armadietto_dir=bench/.cache/armadietto
if want armadietto; then
  if ! cmp -s bench/armadietto/package-lock.json "$armadietto_dir/package-lock.json" \
    || [[ ! -f $armadietto_dir/node_modules/armadietto/bin/armadietto.js ]]; then
    log "installing armadietto (npm ci into $armadietto_dir)"
    rm -rf "$armadietto_dir"
    mkdir -p "$armadietto_dir"
    cp bench/armadietto/package.json bench/armadietto/package-lock.json "$armadietto_dir/"
    (cd "$armadietto_dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || {
      echo "bench/run.sh: could not install armadietto; run: (cd $armadietto_dir && npm ci)" >&2
      exit 1
    }
  fi
fi

# shellcheck source=bench/lib.sh
source bench/lib.sh
want pg-s3 || BENCH_NO_S3=1
export BENCH_NO_S3
bench_setup
# On failure, show the log of the server that was running before everything is removed.
server_log=""
on_exit() {
  local rc=$?
  if ((rc != 0)) && [[ -n $server_log && -s $server_log ]]; then
    echo "bench/run.sh: failed (exit $rc); last lines of $server_log:" >&2
    tail -n 40 "$server_log" >&2
  fi
  bench_cleanup
}
trap on_exit EXIT
if want ceiling; then
  log "building the ceiling (Release)…"
  dotnet publish bench/Ceiling/Ceiling.csproj -c Release -o "$work/ceiling" -nologo -v q >/dev/null
fi

# --- Results --------------------------------------------------------------------------------------
declare -A R_rps=() R_p50=() R_p99=() R_err=() R_ok=()
declare -A U_base=() U_peak=() U_secs=() U_status=()
ready_first="" ready_again=""
pgbench_tps="" pgbench_lat="" pgbench_s_tps="" pgbench_s_lat=""

record_failure() { # server workload message
  R_ok["$1,$2"]=0
  R_err["$1,$2"]=$3
  log "$1 $2: FAILED ($3)"
}

# run_wrk <server> <workload> <url> <connections> <threads> <seconds> [VAR=value …]: wrk with
# bench/wrk/bench.lua (configured by the VAR=value list), after BENCH_WARMUP s of unmeasured load.
run_wrk() {
  local server=$1 wl=$2 url=$3 conns=$4 thr=$5 secs=$6 out line k v kv
  shift 6
  out="$work/wrk-$server-$wl"
  local cmd=(env "$@" "BENCH_THREADS=$thr" wrk -t"$thr" -c"$conns" --timeout "$wrk_timeout" -s bench/wrk/bench.lua)
  if ((warmup > 0)) && [[ $wl != *-c1 ]]; then
    "${cmd[@]}" -d"${warmup}s" "$url" >"$out.warmup" 2>&1 &
    bench_track "$!"
    wait "$!" || true
    bench_untrack "$!"
  fi
  "${cmd[@]}" -d"${secs}s" "$url" >"$out" 2>&1 &
  bench_track "$!"
  wait "$!" || true
  bench_untrack "$!"
  line=$(grep '^RESULT ' "$out" || true)
  if [[ -z $line ]]; then
    record_failure "$server" "$wl" "wrk printed no result: $(tr '\n' ' ' <"$out" | cut -c1-200)"
    return
  fi
  local -A f=()
  for kv in ${line#RESULT }; do k=${kv%%=*}; v=${kv#*=}; f[$k]=$v; done
  R_rps["$server,$wl"]=${f[rps]}
  R_p50["$server,$wl"]=${f[p50_ms]}
  R_p99["$server,$wl"]=${f[p99_ms]}
  local sock=$((f[connect] + f[read] + f[write] + f[timeout])) bad=${f[unexpected]} msg=""
  # Without the Lua status check (listing), wrk's own count of statuses >= 400 is what we have.
  [[ " $* " == *" BENCH_CHECK=0 "* ]] && bad=${f[status_ge400]}
  if ((bad > 0)); then msg="$bad × status ${f[unexpected_status]/-/>=400}"; fi
  if ((sock > 0)); then
    msg="${msg:+$msg, }$sock socket errors (connect ${f[connect]}, read ${f[read]}, write ${f[write]}, timeout ${f[timeout]})"
  fi
  if ((f[requests] == 0)); then msg="${msg:+$msg, }no request completed"; fi
  if [[ -n $msg ]]; then
    R_ok["$server,$wl"]=0
    R_err["$server,$wl"]=$msg
    log "$server $wl: ${f[rps]} req/s, p50 ${f[p50_ms]} ms, p99 ${f[p99_ms]} ms — FAILED: $msg"
  else
    R_ok["$server,$wl"]=1
    R_err["$server,$wl"]=0
    log "$server $wl: ${f[rps]} req/s, p50 ${f[p50_ms]} ms, p99 ${f[p99_ms]} ms"
  fi
}

# probe <method> <url> [curl args…]: one request before the load, so that a wrong token or a
# missing document fails loudly. Prints the status (000: no answer).
probe() {
  local method=$1 url=$2
  shift 2
  curl -s -o /dev/null -w '%{http_code}' -X "$method" --max-time 30 "$@" "$url" || true
}

# workload <server> <workload> <method> <url> <expected> <conns> <thr> <secs> [VAR=value …]
workload() {
  local server=$1 wl=$2 method=$3 url=$4 expect=$5 conns=$6 thr=$7 secs=$8 status
  shift 8
  local curl_args=(-H "Authorization: Bearer $tok")
  local a
  for a in "$@"; do
    case $a in
      BENCH_IF_NONE_MATCH=*) curl_args+=(-H "If-None-Match: ${a#*=}") ;;
      BENCH_MODE=put) curl_args+=(-H 'Content-Type: application/json' --data-binary "@$work/doc-1k.json") ;;
    esac
  done
  local target=$url
  [[ $method == PUT ]] && target="${url%/}/k0"
  status=$(probe "$method" "$target" "${curl_args[@]}")
  if [[ ",$expect," != *",$status,"* ]]; then
    record_failure "$server" "$wl" "probe $method answered $status, expected $expect"
    return
  fi
  run_wrk "$server" "$wl" "$url" "$conns" "$thr" "$secs" "BENCH_TOKEN=$tok" "BENCH_EXPECT=$expect" "$@"
  if ! kill -0 "$srv_pid" 2>/dev/null; then
    echo "bench/run.sh: the $server server died during $wl" >&2
    exit 1
  fi
}

# The same data and workloads on any remoteStorage server: needs tok, srv_pid and store (…/storage/bench).
remotestorage_workloads() {
  local server=$1 populate_threads=$2 fill=${3:-}
  local doc="$store/bench/doc" f100="$store/bench/f100/" f10k="$store/bench/f10k/"

  # UnhostedStore: the upload first, on a fresh, warmed-up server (as bench/large-file.sh does).
  [[ $server == armadietto ]] || large_upload "$server"

  log "$server: populating (1 KB document, 100-item and 10,000-item folders)…"
  local st t0=$SECONDS
  st=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
    --data-binary "@$work/doc-1k.json" "$doc")
  [[ $st == 200 || $st == 201 ]] || { echo "bench/run.sh: $server: PUT of the 1 KB document answered $st" >&2; exit 1; }
  /usr/bin/python3 bench/populate.py put "$f100" "$tok" 100 "$populate_threads"
  if [[ -n $fill ]]; then
    "$fill" "$f10k"
  else
    /usr/bin/python3 bench/populate.py put "$f10k" "$tok" 10000 "$populate_threads"
  fi
  local n100 n10k
  n100=$(/usr/bin/python3 bench/populate.py count "$f100" "$tok")
  n10k=$(/usr/bin/python3 bench/populate.py count "$f10k" "$tok")
  [[ $n100 == 100 && $n10k == 10000 ]] || { echo "bench/run.sh: $server: folders list $n100 and $n10k items, not 100 and 10000" >&2; exit 1; }
  log "$server: populated in $((SECONDS - t0)) s"
  if [[ $server == pg-* ]]; then
    # What autovacuum does on its own within a minute of a bulk load; left to it, it lands in
    # the middle of a later workload (seen: folder p99 160–270 ms in that window).
    "$pgbin/psql" "postgresql://postgres@127.0.0.1:$PG_PORT/bench_${server//-/_}" -qc "VACUUM ANALYZE" >/dev/null
  fi
  local etag_doc etag_f100
  etag_doc=$(/usr/bin/python3 bench/populate.py etag "$doc" "$tok")
  etag_f100=$(/usr/bin/python3 bench/populate.py etag "$f100" "$tok")

  if ((warmup > 0)); then
    # A fresh process JITs its hot paths in tiers for the first ~10 s of load (the tiered
    # compiler thread showed in perf at 13% of samples); keep that out of the first workload.
    log "$server: warming up ($((warmup * 3)) s of GETs)…"
    run_wrk "$server" warmup-get "$doc" "$connections" "$threads" $((warmup * 2)) "BENCH_TOKEN=$tok" "BENCH_EXPECT=200"
    run_wrk "$server" warmup-folder "$f100" "$connections" "$threads" "$warmup" "BENCH_TOKEN=$tok" "BENCH_EXPECT=200"
  fi
  workload "$server" get-doc GET "$doc" 200 "$connections" "$threads" "$duration"
  workload "$server" get-304-doc GET "$doc" 304 "$connections" "$threads" "$duration" "BENCH_IF_NONE_MATCH=$etag_doc"
  workload "$server" get-304-folder GET "$f100" 304 "$connections" "$threads" "$duration" "BENCH_IF_NONE_MATCH=$etag_f100"
  workload "$server" get-folder-100 GET "$f100" 200 "$connections" "$threads" "$duration"
  workload "$server" list-10k GET "$f10k" 200 "$connections" "$threads" "$duration" BENCH_CHECK=0
  workload "$server" list-10k-c1 GET "$f10k" 200 1 1 "$c1_duration" BENCH_CHECK=0
  workload "$server" put-1k PUT "$store/bench/put/" 200,201 "$connections" "$threads" "$duration" BENCH_MODE=put BENCH_KEYS=1000
  # armadietto: last, because it may not survive it (it buffers the whole body, then makes a
  # string of it, which V8 refuses above 512 MiB: the process dies).
  [[ $server != armadietto ]] || large_upload "$server"
}

large_upload() { # server: BENCH_LARGE_MIB MiB PUT with a known length, RSS sampled (needs tok, srv_pid, store)
  local server=$1
  ((large_mib > 0)) || return 0
  log "$server: ${large_mib} MiB upload with RSS sampling…"
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $tok" -H 'Content-Type: text/plain' --data 'warm' "$store/bench/big/warm"
  curl -sf -o /dev/null -H "Authorization: Bearer $tok" "$store/bench/big/warm"
  read -r "U_base[$server]" "U_peak[$server]" "U_secs[$server]" "U_status[$server]" \
    < <(bench_upload_rss "$srv_pid" "$store/bench/big/file" "$tok" "$work/large")
  if ! kill -0 "$srv_pid" 2>/dev/null; then
    local why=""
    [[ $server == armadietto ]] && why=$(grep -h -m1 -o '[A-Za-z]*Error: [^"]*' "$work/armadietto/out.log" "$work/armadietto/error.log" 2>/dev/null | head -1 | cut -c1-120 || true)
    U_status[$server]="no response: the server died${why:+ ($why)}"
    log "$server: died during the large upload"
  else
    curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $tok" "$store/bench/big/file" || true
  fi
  log "$server: upload answered ${U_status[$server]}, RSS $((U_base[$server] / 1024)) → $((U_peak[$server] / 1024)) MiB"
}

# Bench data shared by all servers.
/usr/bin/python3 -c 'import sys; sys.stdout.write("{\"n\":\"" + "x" * 1016 + "\"}")' >"$work/doc-1k.json"
[[ $(stat -c %s "$work/doc-1k.json") == 1024 ]]
if ((large_mib > 0)) && { want embedded || want pg-fs || want pg-s3 || want armadietto; }; then
  log "writing a ${large_mib} MiB file of random bytes…"
  head -c "$((large_mib * 1024 * 1024))" /dev/urandom >"$work/large"
fi
max_doc=$(( large_mib * 2 * 1024 * 1024 > 2147483648 ? large_mib * 2 * 1024 * 1024 : 2147483648 ))

# --- 1. The ceiling -------------------------------------------------------------------------------
if want ceiling; then
  log "ceiling: raw Kestrel…"
  port=$(free_port)
  server_log="$work/ceiling.log"
  (cd "$work/ceiling" && exec env Logging__LogLevel__Default=Warning dotnet Ceiling.dll --urls "http://127.0.0.1:$port" >"$work/ceiling.log" 2>&1) &
  srv_pid=$!
  bench_track "$srv_pid"
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  tok=ceiling-ignores-it
  workload ceiling get-doc GET "http://127.0.0.1:$port/storage/bench/bench/doc" 200 "$connections" "$threads" "$duration"
  kill "$srv_pid" 2>/dev/null || true
  wait "$srv_pid" 2>/dev/null || true
  bench_untrack "$srv_pid"
fi

# --- 2. UnhostedStore, embedded default (with start-to-ready) ---------------------------------------
if want embedded; then
  log "embedded: start to ready (fresh data dir, then a restart)…"
  bench_embedded_env embedded "Storage__MaxDocumentBytes=$max_doc"
  server_log="$work/server-embedded.log"
  bench_time_ready embedded
  ready_first=$(cat "$work/ready")
  bench_stop_server
  bench_user_and_token
  bench_time_ready embedded
  ready_again=$(cat "$work/ready")
  log "embedded: ready after ${ready_first} s (first start), ${ready_again} s (restart)"
  store=$base tok=$token srv_pid=$server_pid
  remotestorage_workloads embedded 8
  bench_stop_server
fi

# --- 3. UnhostedStore on PostgreSQL + filesystem, then + S3 ---------------------------------------
for pair in pg-fs:FileSystem pg-s3:S3; do
  name=${pair%%:*}
  want "$name" || continue
  log "$name: starting UnhostedStore…"
  server_log="$work/server-$name.log"
  bench_start_server "$name" "${pair#*:}" "Storage__MaxDocumentBytes=$max_doc"
  store=$base tok=$token srv_pid=$server_pid
  remotestorage_workloads "$name" 8
  bench_stop_server
done

# --- 3b. The cost of history: PUT with versions kept and with none kept (bench/history.sh) -----
# shellcheck source=bench/history.sh
source bench/history.sh
if want history; then
  for backend in embedded pg-fs; do history_bench "$backend"; done
fi

# --- 4. armadietto (bench/armadietto/run.sh) ---------------------------------------------------
# shellcheck source=bench/armadietto/run.sh
source bench/armadietto/run.sh

# --- 5. pgbench -N: the commit-rate ceiling ---------------------------------------------------------
if want pgbench; then
  log "pgbench -N, $connections clients…"
  pgurl="postgresql://postgres@127.0.0.1:$PG_PORT"
  "$pgbin/psql" "$pgurl/postgres" -qc "CREATE DATABASE bench_pgbench" >/dev/null
  "$pgbin/pgbench" -i -q -s 1 "$pgurl/bench_pgbench" >"$work/pgbench-init.log" 2>&1
  if ((warmup > 0)); then
    "$pgbin/pgbench" -N -c "$connections" -j "$threads" -T "$warmup" "$pgurl/bench_pgbench" >/dev/null 2>&1 || true
  fi
  "$pgbin/pgbench" -N -c "$connections" -j "$threads" -T "$duration" "$pgurl/bench_pgbench" >"$work/pgbench.log" 2>&1 \
    || { cat "$work/pgbench.log" >&2; exit 1; }
  pgbench_tps=$(awk '/^tps = / { printf "%.1f", $3 }' "$work/pgbench.log")
  pgbench_lat=$(awk '/^latency average = / { print $4 }' "$work/pgbench.log")
  log "pgbench: $pgbench_tps tps, latency average $pgbench_lat ms"

  # The read ceiling: one prepared primary-key SELECT per transaction, what a GET needs at the
  # least on PostgreSQL. Shown beside the GETs as evidence of what bounds them, not as a target.
  "$pgbin/pgbench" -S -M prepared -c "$connections" -j "$threads" -T "$duration" "$pgurl/bench_pgbench" >"$work/pgbench-s.log" 2>&1 \
    || { cat "$work/pgbench-s.log" >&2; exit 1; }
  pgbench_s_tps=$(awk '/^tps = / { printf "%.1f", $3 }' "$work/pgbench-s.log")
  pgbench_s_lat=$(awk '/^latency average = / { print $4 }' "$work/pgbench-s.log")
  log "pgbench -S: $pgbench_s_tps tps, latency average $pgbench_s_lat ms"
fi

# --- Report -----------------------------------------------------------------------------------------
# shellcheck source=bench/report.sh
source bench/report.sh
