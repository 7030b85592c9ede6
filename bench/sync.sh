#!/usr/bin/env bash
# bench/sync.sh: N connected remoteStorage apps keeping in sync, polling or on change streams.
# Not a test: it times things, CI does not.
#
#   bash bench/sync.sh [--mode polling|streams|mixed] [--apps N] [--users M] [--writes-per-sec W]
#                      [--writer-share S] [--duration SEC] [--warmup SEC]
#                      [--deployment embedded|pg2] [--chaos] [--out FILE]
#   bash bench/sync.sh --matrix [--duration SEC] [--out FILE]
#
# It publishes the server (Release) and the simulator (bench/sync, a C# console program), starts
# the deployment, creates M users with a "*:rw" token each (in one process, as `users add` and
# `tokens issue` would), runs the simulator and writes Markdown to bench/results/<date>-sync.md
# (or --out), also printed on stdout.
#
# The model (defaults): N = 1,000 apps of M = N/10 users; the apps of one user sync the same
# folder /storage/<user>/<module>/ (a fresh module per run, so every run starts empty). A share
# of the apps (--writer-share, 0.1) write 1 KB JSON documents into their own subfolder, 16
# documents each, with If-Match (If-None-Match: * for a new one), at W = 500 writes/s in total,
# open loop (due writes are sent whatever the answers take; one in flight per app).
#   polling  every app GETs its folder with If-None-Match every 10 s (each at a random offset, so
#            N/10 polls/s arrive evenly); when the folder's version changed it GETs the changed
#            subfolders and then the changed documents, as remotestorage.js does.
#   streams  every app holds one change stream (GET of its folder, Accept: text/event-stream,
#            spec/changes-extension.md) on its own connection, and GETs each changed document
#            when its event arrives; it reconnects with Last-Event-ID (backoff 1-10 s) and syncs
#            in full on reset.
#   mixed    the apps of odd-numbered users stream, the others poll (the default with --chaos,
#            so that one run shows how both recover).
# Deployments:
#   embedded one server, SQLite + filesystem (the embedded default).
#   pg2      two server instances on one PostgreSQL 15 and one shared DataDirectory (filesystem
#            blobs); apps alternate between them, so about half of every user's apps are on the
#            other instance than the writer. An app whose instance refuses connections moves to
#            the other one (what a load balancer would do).
# It reports, over the measured window (after the warm-up): p50/p99/p99.9 of polls, subfolder and
# document GETs, writes; event delivery (arrival minus the writer's 2xx, and minus its send;
# across instances separately) and "change seen" (the user's other apps fetched the new version;
# for polling this is the sync delay); client-seen errors by kind; CPU (utime+stime from
# /proc/<pid>/stat, % of one core) and RSS (VmRSS sampled each second, VmHWM peak) of every
# server process and of the simulator itself. At the end it reads every written document back
# (the latest acknowledged write must be stored, or a later unacknowledged one) and checks that
# every app ended up knowing every other app's last write.
# Abuse limits raised for the bench (environment of the servers): RateLimiting:StoragePerToken*
# and StoragePerIp* to 1,000,000 (the limiter stays on), Storage:ChangeStreams:MaxPerUser 100000
# and MaxPerIp 1000000; Logging at Warning; Hosting:ShutdownTimeoutSeconds 5. The simulator binds
# its sockets to 127.0.0.2-127.0.0.33 (so ports never run out) and the script raises `ulimit -n`
# to 1048576 for everything it starts, or to the hard limit where it may not: a run that needs
# more descriptors than that (a socket per stream, in the simulator and in a server) is skipped
# and the results say so. 100,000 streams need the hard limit raised first (as root with
# CAP_SYS_RESOURCE: `prlimit --nofile=1048576:1048576 --pid $$`; systemd `LimitNOFILE=`;
# docker `--ulimit nofile=1048576`).
#
# Every run but a --chaos one ends with a profile of its measured window (bench/sync-profile.sh):
# dotnet-counters and a 10 s dotnet-trace of the servers, and PostgreSQL's CPU and waits.
#
# --chaos (pg2): SIGKILL one instance every 60 s (alternating) and restart it 2 s later; restart
# PostgreSQL once (pg_ctl restart -m fast) half-way. Every write is recorded (path, bytes hash,
# answer); writes answered 5xx or cut off are resolved by reading the document back (stored in
# full / not stored / partial); the report gives acknowledged writes lost (must be 0), errors by
# kind, and per disruption how long each kind of request kept failing and how long the open
# streams took to come back. Default duration with --chaos: 600 s.
#
# --matrix: N = 10,000, 50,000, 100,000 × polling, streams × embedded, pg2 (12 runs, fresh
# processes each; users provisioned once per deployment) with the targets summary. Narrowed by
# SYNC_MATRIX_APPS ("10000 50000 100000"), SYNC_MATRIX_MODES ("polling streams") and
# SYNC_MATRIX_DEPLOYMENTS ("embedded pg2"), e.g. SYNC_MATRIX_APPS="1000 10000" for a quick one.
# Each run: --duration (default 60 s measured) + 15 s warm-up + the streams' set-up + 15 s of
# catch-up + reading back every document written; provisioning 10,000 users takes 2-5 minutes per
# deployment. About 45-75 minutes in all on 2 cores (an estimate: the 8-run trial matrix with
# N = 1,000 and 10,000 and 30 s runs took 21 minutes on a heavily shared machine). --chaos with
# the default 600 s: about 13-15 minutes (each restart is waited for before the next action, so a
# slow start shifts the rest of the schedule).
#
# Needs the .NET 10 SDK, postgresql-15 (both deployments start it; tests/services/start-postgres.sh),
# python3, curl; run as root (or with a hard `ulimit -n` of 1048576) for 100,000 streams.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="" apps=1000 users="" wps=500 writer_share=0.1 duration="" warmup=15 deployment=embedded
chaos=0 matrix=0 out=""
while (($#)); do
  case $1 in
    --mode) mode=$2; shift 2 ;;
    --apps) apps=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --writes-per-sec) wps=$2; shift 2 ;;
    --writer-share) writer_share=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --deployment) deployment=$2; shift 2 ;;
    --chaos) chaos=1; shift ;;
    --matrix) matrix=1; shift ;;
    --out) out=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/sync.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ((chaos)); then mode=${mode:-mixed}; fi
mode=${mode:-polling}
[[ $mode == polling || $mode == streams || $mode == mixed ]] || { echo "bench/sync.sh: --mode is polling, streams or mixed" >&2; exit 2; }
[[ $deployment == embedded || $deployment == pg2 ]] || { echo "bench/sync.sh: --deployment is embedded or pg2" >&2; exit 2; }
if ((chaos)); then deployment=pg2; duration=${duration:-600}; fi
duration=${duration:-60}
out=${out:-bench/results/$(date +%F)-sync.md}
log() { echo "bench/sync: $*" >&2; }
started=$(date +%s)

# 100,000 streams are 100,000 sockets in the simulator and as many in the server(s).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
log "open files limit $(ulimit -n)"

# shellcheck source=bench/lib.sh
source bench/lib.sh
BENCH_NO_S3=1
PG_MAX_CONNECTIONS=${PG_MAX_CONNECTIONS:-500}
export BENCH_NO_S3 PG_MAX_CONNECTIONS
bench_setup
log "building the simulator (Release)…"
dotnet publish bench/sync/SyncSim.csproj -c Release -o "$work/sync" -nologo -v q >/dev/null
dotnet "$work/sync/SyncSim.dll" selftest >&2
sim() { dotnet "$work/sync/SyncSim.dll" "$@"; }
# shellcheck source=bench/sync-profile.sh
source bench/sync-profile.sh
profile_setup

# Servers are tracked by pid files (a chaos restart replaces the pid from a background loop),
# and killed from them on exit before lib.sh's cleanup stops PostgreSQL.
sync_cleanup() {
  local f
  for f in "$work"/pid-*; do [[ -e $f ]] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  bench_cleanup
}
trap sync_cleanup EXIT

limits=(
  "Logging__LogLevel__Default=Warning" "Hosting__ShutdownTimeoutSeconds=5"
  "RateLimiting__StoragePerTokenPerSecond=1000000" "RateLimiting__StoragePerTokenBurst=1000000"
  "RateLimiting__StoragePerIpPerSecond=1000000" "RateLimiting__StoragePerIpBurst=1000000"
  "Storage__ChangeStreams__MaxPerUser=100000" "Storage__ChangeStreams__MaxPerIp=1000000"
)
declare -A port=()
instances=()

deploy() { # embedded|pg2: fresh data (and database), env_args and the instance names
  local dep=$1
  rm -rf "$work/data-$dep"
  if [[ $dep == embedded ]]; then
    env_args=(-u ConnectionStrings__Postgres -u Blobs__Provider "DataDirectory=$work/data-embedded" "${limits[@]}")
    instances=(embedded)
  else
    /usr/lib/postgresql/15/bin/psql "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -qc "DROP DATABASE IF EXISTS sync" -qc "CREATE DATABASE sync" >/dev/null
    head -c 32 /dev/urandom | base64 >"$work/dp.key"
    env_args=("DataDirectory=$work/data-pg2" "ConnectionStrings__Postgres=Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=sync"
      "Blobs__Provider=FileSystem" "DataProtection__KeyFile=$work/dp.key" "${limits[@]}")
    instances=(pg2-a pg2-b)
  fi
}

provision() { # users
  log "provisioning $1 users with tokens…"
  (cd "$work/app" && env "${env_args[@]}" dotnet "$work/sync/SyncSim.dll" provision --users "$1" --out "$work/tokens.tsv" --parallel 4) >&2
}

start_instance() { # name: starts (or restarts, on the same port) and waits for /readyz
  local name=$1 pid
  port[$name]=${port[$name]:-$(free_port)}
  (cd "$work/app" && exec env "${env_args[@]}" dotnet UnhostedStore.dll --urls "http://127.0.0.1:${port[$name]}" >>"$work/server-$name.log" 2>&1) &
  pid=$!
  echo "$pid" >"$work/pid-$name"
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "http://127.0.0.1:${port[$name]}/readyz" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench/sync: instance $name did not become ready; log:" >&2
  tail -n 40 "$work/server-$name.log" >&2
  exit 1
}

stop_instance() { # name
  local pid
  pid=$(cat "$work/pid-$1" 2>/dev/null || true)
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$work/pid-$1"
}

as_pg=()
[[ $(id -u) == 0 ]] && as_pg=(runuser -u postgres --)
chaos_log() { printf '%s\t%s\n' "$(date +%s%3N)" "$1" >>"$work/chaos.log"; }

chaos_loop() { # sim_pid: kills and restarts on schedule, from the start of the measured window
  local sim_pid=$1 t0 now victim=0 next pg_at kills=() t
  while [[ ! -s $work/ready ]]; do kill -0 "$sim_pid" 2>/dev/null || return 0; sleep 0.2; done
  t0=$(date +%s)
  pg_at=$(( (duration / 2 / 60) * 60 + 30 ))
  for ((t = 60; t < duration; t += 60)); do kills+=("$t"); done
  local schedule
  schedule=$(printf '%s kill\n' "${kills[@]}"; echo "$pg_at pg")
  while read -r t what; do
    [[ -n $t ]] && ((t < duration)) || continue
    while now=$(date +%s); ((now - t0 < t)); do kill -0 "$sim_pid" 2>/dev/null || return 0; sleep 0.2; done
    if [[ $what == pg ]]; then
      chaos_log "pg restart (pg_ctl restart -m fast)"
      if "${as_pg[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$PG_DATA" -l "$PG_DATA/server.log" -m fast -w -t 120 restart >/dev/null; then
        chaos_log "pg ready"
      else
        chaos_log "pg restart FAILED"
      fi
    else
      next=${instances[victim]}
      victim=$(( (victim + 1) % ${#instances[@]} ))
      chaos_log "kill -9 instance $next (pid $(cat "$work/pid-$next"))"
      kill -9 "$(cat "$work/pid-$next")" 2>/dev/null || true
      sleep 2
      chaos_log "restarting instance $next"
      start_instance "$next"
      chaos_log "instance $next ready"
    fi
  done < <(echo "$schedule" | sort -n)
}

runs=0
run_one() { # dep mode apps users
  local dep=$1 m=$2 n=$3 u=$4 args name need
  runs=$((runs + 1))
  # Every stream is a socket in the simulator and one in a server; polls share a pool.
  need=$(( 4096 * ${#instances[@]} + 1000 ))
  if [[ $m != polling ]]; then need=$(( need + n )); fi
  if ((need > $(ulimit -n))); then
    log "run $runs skipped: it needs ulimit -n >= $need, this shell has $(ulimit -n)"
    {
      echo "### $dep, $m, $n apps of $u users: not run"
      echo
      echo "It needs \`ulimit -n\` ≥ $need (a socket per stream in the simulator and in the server); the hard limit here is $(ulimit -Hn). Raise it (as root with CAP_SYS_RESOURCE: \`prlimit --nofile=1048576:1048576 --pid \$\$\`; systemd \`LimitNOFILE=1048576\`; docker \`--ulimit nofile=1048576\`) and run again."
    } >"$work/run-$runs.md"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$dep" "$n" "$m: $n apps" "$dep, $m, $n apps" "not run: ulimit -n $(ulimit -n) < $need" "not run" >>"$work/targets.tsv"
    return 0
  fi
  for name in "${instances[@]}"; do start_instance "$name"; done
  args=(run --mode "$m" --apps "$n" --users "$u" --writes-per-sec "$wps" --writer-share "$writer_share"
    --duration "$duration" --warmup "$warmup" --deployment "$dep" --tokens "$work/tokens.tsv"
    --module "r$runs" --clk-tck "$(getconf CLK_TCK)" --out "$work/run-$runs.md" --targets "$work/targets.tsv")
  for name in "${instances[@]}"; do args+=(--server "http://127.0.0.1:${port[$name]}" --server-pidfile "$name=$work/pid-$name"); done
  log "run $runs: $dep, $m, $n apps of $u users, ${duration} s"
  rm -f "$work/ready" "$work/chaos.log"
  args+=(--ready-file "$work/ready")
  local profile_pid=""
  if ((!chaos)); then
    profile_run "$runs" "$work/ready" "$dep" &
    profile_pid=$!
  fi
  if ((chaos)); then
    args+=(--chaos --chaos-events "$work/chaos.log")
    sim "${args[@]}" >/dev/null &
    local sim_pid=$!
    chaos_loop "$sim_pid" &
    local chaos_pid=$!
    wait "$sim_pid"
    wait "$chaos_pid" || true
  else
    sim "${args[@]}" >/dev/null
  fi
  if [[ -n $profile_pid ]]; then
    wait "$profile_pid" || true
    profile_report "$runs" >>"$work/run-$runs.md"
  fi
  for name in "${instances[@]}"; do stop_instance "$name"; done
}

: >"$work/targets.tsv"
if ((matrix)); then
  matrix_apps=${SYNC_MATRIX_APPS:-10000 50000 100000}
  most=0
  for n in $matrix_apps; do ((n > most)) && most=$n; done
  for dep in ${SYNC_MATRIX_DEPLOYMENTS:-embedded pg2}; do
    deploy "$dep"
    provision $((most / 10))
    for n in $matrix_apps; do
      for m in ${SYNC_MATRIX_MODES:-polling streams}; do run_one "$dep" "$m" "$n" $((n / 10)); done
    done
  done
else
  users=${users:-$(( apps / 10 > 0 ? apps / 10 : 1 ))}
  deploy "$deployment"
  provision "$users"
  run_one "$deployment" "$mode" "$apps" "$users"
fi

mkdir -p "$(dirname "$out")"
{
  echo "# Sync simulation: apps polling or on change streams, $(date '+%Y-%m-%d %H:%M %Z')"
  echo
  bench_machine
  echo "CPU: $(lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }'); .NET runtime $(dotnet --list-runtimes | awk '/Microsoft.AspNetCore.App/ { v = $2 } END { print v }'); $(/usr/lib/postgresql/15/bin/postgres --version)."
  echo "Everything on one machine over loopback: the server process(es), PostgreSQL and the simulator share the cores."
  echo "Command: \`bash bench/sync.sh$( ((matrix)) && echo " --matrix")$( ((chaos)) && echo " --chaos") …\` (duration ${duration} s measured after a ${warmup} s warm-up per run; ${wps} writes/s target; writer share ${writer_share}). Total time: $(( $(date +%s) - started )) s."
  echo "Servers: Release build; abuse limits raised for the bench: \`RateLimiting__StoragePerTokenPerSecond\`, \`…PerTokenBurst\`, \`…StoragePerIpPerSecond\`, \`…StoragePerIpBurst\` = 1000000 (limiter on), \`Storage__ChangeStreams__MaxPerUser=100000\`, \`Storage__ChangeStreams__MaxPerIp=1000000\`; \`Logging__LogLevel__Default=Warning\`. PostgreSQL: defaults (fsync on), max_connections ${PG_MAX_CONNECTIONS}. \`ulimit -n\` $(ulimit -n)."
  echo "One token per user (\"*:rw\"), shared by the user's apps; polls and GETs share pooled keep-alive connections (4,096 per instance at most); every stream has its own connection; client sockets bound to 127.0.0.2-127.0.0.33."
  echo
  echo "## Targets"
  echo
  echo "| target | run | measured | result |"
  echo "|---|---|---|---|"
  while IFS=$'\t' read -r _ _ _ target run measured met; do
    echo "| $target | $run | $measured | **$met** |"
  done <"$work/targets.tsv"
  echo
  for dep in embedded pg2; do
    best=$(awk -F'\t' -v d="$dep" '$1 == "polling" && $2 == d && $7 == "met" && $3 > b { b = $3 } END { print b + 0 }' "$work/targets.tsv")
    tried=$(awk -F'\t' -v d="$dep" '$1 == "polling" && $2 == d' "$work/targets.tsv" | wc -l)
    if ((tried > 0)); then
      echo "Polling target (100,000 apps, 10,000 polls/s, 500 writes/s, p99 < 50 ms), $dep: $( ((best >= 100000)) && echo "**met**" || echo "**not met**"); largest N that held: $( ((best > 0)) && echo "$best" || echo "none of the N run ($(awk -F'\t' -v d="$dep" '$1 == "polling" && $2 == d { printf "%s%s", s, $3; s = ", " }' "$work/targets.tsv"))")."
      echo
    fi
  done
  echo "## Runs"
  echo
  for ((i = 1; i <= runs; i++)); do cat "$work/run-$i.md"; echo; done
} | tee "$out"
log "results written to $out"
