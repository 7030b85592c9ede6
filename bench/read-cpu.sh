#!/usr/bin/env bash
# bench/read-cpu.sh: CPU per request of the hot reads, for comparing server variants on a busy
# machine. Not a test.
#
#   bash bench/read-cpu.sh "<name> [KEY=VALUE …]" "<name> [KEY=VALUE …]" …
#
# Each variant is a server of its own, started once and populated with the bench data of
# bench/run.sh (a 1 KB document and a 100-item folder). KEY=VALUE pairs are the server's settings
# (environment), except these:
#   EMBEDDED=1      the embedded default (SQLite + filesystem) instead of PostgreSQL + filesystem
#   PG_SOCKET=1     PostgreSQL over its Unix-domain socket instead of TCP on 127.0.0.1
#   APP=<dir>       another published build (dotnet publish -c Release -o <dir>) than this tree's
# Then, for each round, each workload runs on each variant in turn (alternating, so that a busy
# machine's drift falls on all of them): GET of the document, 304 on the document, 304 on the
# folder, GET of the folder. For each run it prints req/s, p99 and CPU per request: the server
# process's user + system time and that of every PostgreSQL process (from /proc), divided by the
# requests wrk completed. CPU per request holds when other work shares the machine; req/s does not.
#
# Environment: BENCH_DURATION (s per run, default 8), BENCH_WARMUP (s per variant before the first
# round, default 10), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 32).
# Example: bash bench/read-cpu.sh "embedded EMBEDDED=1" "single Database__ReadRoundTrips=0" "batched"
set -euo pipefail
cd "$(dirname "$0")/.."
((${#@} > 0)) || { sed -n 2,21p "$0" >&2; exit 2; }
duration=${BENCH_DURATION:-8}
warmup=${BENCH_WARMUP:-10}
rounds=${BENCH_ROUNDS:-3}
connections=${BENCH_CONNECTIONS:-32}
hz=$(getconf CLK_TCK)
log() { echo "read-cpu: $*" >&2; }

# shellcheck source=bench/lib.sh
source bench/lib.sh
BENCH_NO_S3=1 bench_setup
postmaster=$(head -1 "$PG_DATA/postmaster.pid")

# Ticks (user + system) of one process; of every PostgreSQL process: the postmaster, its live
# children, and (cutime + cstime) the children that exited and were reaped by it.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  local sum pid
  sum=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$postmaster/stat")
  for pid in $(pgrep -P "$postmaster" || true); do sum=$((sum + $(ticks "$pid"))); done
  echo "$sum"
}

declare -A V_pid=() V_url=() V_tok=() V_etag_doc=() V_etag_f=()
names=()
pids_to_stop=()
stop_all() { local p; for p in ${pids_to_stop[@]+"${pids_to_stop[@]}"}; do kill "$p" 2>/dev/null || true; done; bench_cleanup; }
trap stop_all EXIT

for spec in "$@"; do
  read -r -a words <<<"$spec"
  name=${words[0]}
  embedded=0 socket=0 app_dir="$work/app" settings=()
  for kv in "${words[@]:1}"; do
    case $kv in
      EMBEDDED=1) embedded=1 ;;
      PG_SOCKET=1) socket=1 ;;
      APP=*) app_dir=${kv#APP=} ;;
      *) settings+=("$kv") ;;
    esac
  done
  log "$name: starting (${words[*]:1})"
  if ((embedded)); then
    bench_start_embedded "$name" ${settings[@]+"${settings[@]}"}
  else
    BENCH_PG_SOCKET=$socket bench_start_server "$name" FileSystem ${settings[@]+"${settings[@]}"}
  fi
  pids_to_stop+=("$server_pid")
  /usr/bin/python3 -c 'import sys; sys.stdout.write("{\"n\":\"" + "x" * 1016 + "\"}")' >"$work/doc-1k.json"
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary "@$work/doc-1k.json" "$base/bench/doc"
  /usr/bin/python3 bench/populate.py put "$base/bench/f100/" "$token" 100 8
  if ((!embedded)); then
    db="bench_$(echo "${name//[^a-zA-Z0-9]/_}" | tr '[:upper:]' '[:lower:]')"
    /usr/lib/postgresql/15/bin/psql "postgresql://postgres@127.0.0.1:$PG_PORT/$db" -qc "VACUUM ANALYZE" >/dev/null
  fi
  V_pid[$name]=$server_pid V_url[$name]=$base V_tok[$name]=$token
  V_etag_doc[$name]=$(/usr/bin/python3 bench/populate.py etag "$base/bench/doc" "$token")
  V_etag_f[$name]=$(/usr/bin/python3 bench/populate.py etag "$base/bench/f100/" "$token")
  names+=("$name")
  server_pid=""
done

# run <variant> <workload> <seconds>: prints "rps p99_ms requests server_ticks pg_ticks"
run() {
  local name=$1 wl=$2 secs=$3 url expect=200 inm="" line s0 s1 p0 p1
  case $wl in
    get-doc) url="${V_url[$name]}/bench/doc" ;;
    get-304-doc) url="${V_url[$name]}/bench/doc" expect=304 inm=${V_etag_doc[$name]} ;;
    get-304-folder) url="${V_url[$name]}/bench/f100/" expect=304 inm=${V_etag_f[$name]} ;;
    get-folder-100) url="${V_url[$name]}/bench/f100/" ;;
  esac
  s0=$(ticks "${V_pid[$name]}") p0=$(pg_ticks)
  line=$(env BENCH_TOKEN="${V_tok[$name]}" BENCH_EXPECT=$expect BENCH_IF_NONE_MATCH="$inm" BENCH_THREADS=2 \
    wrk -t2 -c"$connections" -d"${secs}s" --timeout 30s -s bench/wrk/bench.lua "$url" 2>&1 | grep '^RESULT ' || true)
  s1=$(ticks "${V_pid[$name]}") p1=$(pg_ticks)
  local -A f=()
  for kv in ${line#RESULT }; do f[${kv%%=*}]=${kv#*=}; done
  if [[ -z $line || ${f[unexpected]:-1} != 0 ]]; then log "$name $wl: FAILED ($line)"; fi
  echo "${f[rps]:-0} ${f[p99_ms]:-0} ${f[requests]:-0} $((s1 - s0)) $((p1 - p0))"
}

workloads=(get-doc get-304-doc get-304-folder get-folder-100)
if ((warmup > 0)); then
  for name in "${names[@]}"; do
    log "$name: warming up"
    run "$name" get-doc "$warmup" >/dev/null
    run "$name" get-folder-100 "$((warmup / 2 > 1 ? warmup / 2 : 1))" >/dev/null
  done
fi

echo "| round | workload | variant | req/s | p99 (ms) | server CPU µs/req | PostgreSQL CPU µs/req | total µs/req |"
echo "|---:|---|---|---:|---:|---:|---:|---:|"
for round in $(seq 1 "$rounds"); do
  for wl in "${workloads[@]}"; do
    for name in "${names[@]}"; do
      read -r rps p99 n st pt < <(run "$name" "$wl" "$duration")
      awk -v r="$round" -v wl="$wl" -v v="$name" -v rps="$rps" -v p99="$p99" -v n="$n" -v st="$st" -v pt="$pt" -v hz="$hz" 'BEGIN {
        s = n > 0 ? st / hz / n * 1e6 : 0; p = n > 0 ? pt / hz / n * 1e6 : 0
        printf "| %d | %s | %s | %.0f | %.2f | %.1f | %.1f | %.1f |\n", r, wl, v, rps, p99, s, p, s + p }'
    done
  done
done
