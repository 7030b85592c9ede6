# Shared by the bench scripts: sourced, not run. Starts PostgreSQL and Swift (S3) through
# tests/services/*.sh, publishes a Release build, and starts UnhostedStore servers on them.
# Everything lives in $work and is stopped by bench_cleanup (installed as the EXIT trap), which
# also kills every pid in bench_pids (armadietto, the ceiling, wrk: whatever the caller adds).
# shellcheck shell=bash

bench_need() {
  for tool in curl dotnet /usr/bin/python3 dd sha256sum; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install -y curl python3 coreutils; .NET 10 SDK)" >&2; exit 1; }
  done
}

bench_setup() { # starts everything; sets work, PG_*, S3_* (BENCH_NO_S3=1: no Swift)
  bench_need
  work=$(mktemp -d /tmp/unhostedstore-bench.XXXXXX)
  chmod 755 "$work"
  server_pid=""
  bench_pids=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  echo "bench: building (Release)…" >&2
  dotnet publish src/UnhostedStore/UnhostedStore.csproj -c Release -o "$work/app" -nologo -v q >/dev/null
  eval "$(DIR="$work/pg" bash tests/services/start-postgres.sh)"
  if [[ ${BENCH_NO_S3:-0} != 1 ]]; then
    eval "$(DIR="$work/swift" bash tests/services/start-swift.sh)"
  fi
}

# bench_track <pid> / bench_untrack <pid>: processes for bench_cleanup to kill while they run
# (untrack them once waited for, so that a reused pid is never killed).
bench_track() { bench_pids+=("$1"); }
bench_untrack() {
  local keep=() pid
  for pid in ${bench_pids[@]+"${bench_pids[@]}"}; do [[ $pid == "$1" ]] || keep+=("$pid"); done
  bench_pids=(${keep[@]+"${keep[@]}"})
}

bench_cleanup() {
  local pid
  if [[ -n ${server_pid:-} ]]; then kill "$server_pid" 2>/dev/null || true; fi
  for pid in ${bench_pids[@]+"${bench_pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  if [[ -n "${S3_DATA_DIR:-}" ]]; then DIR="$S3_DATA_DIR" bash tests/services/start-swift.sh stop >/dev/null 2>&1 || true; fi
  if [[ -n "${work:-}" ]]; then
    if [[ -d "$work/pg/data" ]]; then DIR="$work/pg" bash tests/services/start-postgres.sh stop || true; fi
    rm -rf "$work"
  fi
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The Npgsql Host of the bench PostgreSQL: 127.0.0.1 (TCP), or with BENCH_PG_SOCKET=1 the
# directory of its Unix-domain socket (start-postgres.sh puts the socket in $work/pg).
bench_pg_host() { if [[ ${BENCH_PG_SOCKET:-0} == 1 ]]; then echo "$work/pg"; else echo 127.0.0.1; fi; }

# bench_start_server <name> <FileSystem|S3> [KEY=VALUE …]: a fresh database, data directory and
# bucket; sets server_pid, server_url, base (…/storage/bench) and token (a "*:rw" token of user
# "bench"). The server is the build in $app_dir (default $work/app).
bench_start_server() {
  local name=$1 blobs=$2; shift 2
  local db
  db="bench_$(echo "${name//[^a-zA-Z0-9]/_}" | tr '[:upper:]' '[:lower:]')"
  /usr/lib/postgresql/15/bin/psql "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -qc "CREATE DATABASE $db" >/dev/null
  env_args=(
    "DataDirectory=$work/data-$name"
    "ConnectionStrings__Postgres=Host=$(bench_pg_host);Port=$PG_PORT;Username=postgres;Database=$db"
    "Blobs__Provider=$blobs" "Blobs__S3__Endpoint=${S3_ENDPOINT:-}" "Blobs__S3__AccessKey=${S3_ACCESS_KEY:-}"
    "Blobs__S3__SecretKey=${S3_SECRET_KEY:-}" "Blobs__S3__Bucket=bench-$(echo "$name" | tr '[:upper:]_' '[:lower:]-')"
    "RateLimiting__Enabled=false" "Logging__LogLevel__Default=Warning" "$@"
  )
  bench_user_and_token
  bench_launch "$name"
}

# bench_start_embedded <name> [KEY=VALUE …]: the embedded default (SQLite + filesystem, both in a
# fresh DataDirectory; no PostgreSQL, no S3); sets the same variables as bench_start_server.
bench_start_embedded() {
  local name=$1; shift
  bench_embedded_env "$name" "$@"
  bench_user_and_token
  bench_launch "$name"
}

bench_embedded_env() { # name [KEY=VALUE …]: sets env_args for the embedded default
  local name=$1; shift
  env_args=(
    -u ConnectionStrings__Postgres -u Blobs__Provider
    "DataDirectory=$work/data-$name"
    "RateLimiting__Enabled=false" "Logging__LogLevel__Default=Warning" "$@"
  )
}

bench_user_and_token() { # with env_args set: user "bench" and a "*:rw" token in $token
  (cd "${app_dir:-$work/app}" && env "${env_args[@]}" dotnet UnhostedStore.dll users add bench --no-password >/dev/null)
  token=$(cd "${app_dir:-$work/app}" && env "${env_args[@]}" dotnet UnhostedStore.dll tokens issue bench --scope "*:rw")
}

bench_spawn() { # name: starts the published server with env_args on a free port, in the background
  local name=$1
  server_port=$(free_port)
  server_url="http://127.0.0.1:$server_port"
  base="$server_url/storage/bench"
  (cd "${app_dir:-$work/app}" && exec env "${env_args[@]}" dotnet UnhostedStore.dll --urls "$server_url" >>"$work/server-$name.log" 2>&1) &
  server_pid=$!
}

bench_launch() { # name: bench_spawn, then wait until the storage answers the token
  local name=$1
  bench_spawn "$name"
  for _ in $(seq 1 200); do curl -sf -o /dev/null -H "Authorization: Bearer $token" "$base/" && return 0; sleep 0.1; done
  echo "bench: server $name did not start; log:" >&2
  cat "$work/server-$name.log" >&2
  exit 1
}

# bench_time_ready <name>: starts the server (env_args) and writes to $work/ready the seconds from
# its launch until GET /readyz answers 200, polled every 10 ms; leaves it running (server_pid).
bench_time_ready() {
  local name=$1 t0
  t0=$(date +%s.%N)
  bench_spawn "$name"
  if ! /usr/bin/python3 - "$server_url/readyz" "$t0" "$server_pid" >"$work/ready" <<'EOF'; then
import http.client, os, sys, time, urllib.parse
url, t0, pid = urllib.parse.urlparse(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
deadline = time.time() + 60
while time.time() < deadline:
    try:
        c = http.client.HTTPConnection(url.hostname, url.port, timeout=2)
        c.request("GET", url.path)
        if c.getresponse().status == 200:
            print(f"{time.time() - t0:.3f}")
            sys.exit(0)
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    time.sleep(0.01)
sys.exit(1)
EOF
    echo "bench: server $name never became ready; log:" >&2
    cat "$work/server-$name.log" >&2
    exit 1
  fi
}

bench_stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# Memory of a process: its RSS now (KiB), and its peak RSS sampled every 50 ms in the background
# (bench_sample_rss <pid> <file> &) until <file>.run disappears.
bench_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
bench_sample_rss() { # pid file
  local pid=$1 out=$2 kb
  echo 0 >"$out"
  while [[ -e "$out.run" ]] && kill -0 "$pid" 2>/dev/null; do
    kb=$(bench_rss_kib "$pid")
    if (( kb > $(cat "$out") )); then echo "$kb" >"$out"; fi
    sleep 0.05
  done
}
bench_mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
bench_rate() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.0f", (b / 1048576) / t }'; }
bench_elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# bench_upload_rss <pid> <url> <token> <file>: PUT the file (known length) to url while sampling
# the RSS of pid; prints "baseline_kib peak_kib seconds http_status". Warm the server up first.
bench_upload_rss() {
  local pid=$1 url=$2 tok=$3 file=$4 baseline peak t0 t1 status sampler
  sleep 1
  baseline=$(bench_rss_kib "$pid")
  touch "$work/rss-upload.run"
  bench_sample_rss "$pid" "$work/rss-upload" &
  sampler=$!
  t0=$(date +%s.%N)
  status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/octet-stream' -T "$file" "$url" || true)
  t1=$(date +%s.%N)
  rm -f "$work/rss-upload.run"
  wait "$sampler" || true
  peak=$(cat "$work/rss-upload")
  (( peak > baseline )) || peak=$baseline
  echo "$baseline $peak $(bench_elapsed "$t0" "$t1") $status"
}

bench_machine() {
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); $(dotnet --version | sed 's/^/.NET SDK /'); PostgreSQL 15; S3 = OpenStack Swift s3api on loopback."
}
