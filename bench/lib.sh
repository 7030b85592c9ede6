# Shared by the bench scripts: sourced, not run. Starts PostgreSQL and Swift (S3) through
# tests/services/*.sh, publishes a Release build, and starts UnhostedStore servers on them.
# Everything lives in $work and is stopped by bench_cleanup (installed as the EXIT trap).

bench_need() {
  for tool in curl dotnet /usr/bin/python3 dd sha256sum; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install -y curl python3 coreutils; .NET 10 SDK)" >&2; exit 1; }
  done
}

bench_setup() { # starts everything; sets work, PG_*, S3_*
  bench_need
  work=$(mktemp -d /tmp/unhostedstore-bench.XXXXXX)
  chmod 755 "$work"
  server_pid=""
  trap bench_cleanup EXIT
  echo "bench: building (Release)…" >&2
  dotnet publish src/UnhostedStore/UnhostedStore.csproj -c Release -o "$work/app" -nologo -v q >/dev/null
  eval "$(DIR="$work/pg" bash tests/services/start-postgres.sh)"
  eval "$(DIR="$work/swift" bash tests/services/start-swift.sh)"
}

bench_cleanup() {
  [[ -n ${server_pid:-} ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n "${S3_DATA_DIR:-}" ]] && DIR="$S3_DATA_DIR" bash tests/services/start-swift.sh stop >/dev/null 2>&1 || true
  [[ -n "${work:-}" ]] && { DIR="$work/pg" bash tests/services/start-postgres.sh stop || true; rm -rf "$work"; }
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench_start_server <name> <FileSystem|S3> [KEY=VALUE …]: a fresh database, data directory and
# bucket; sets server_pid, base (…/storage/bench) and token (a "*:rw" token of user "bench").
bench_start_server() {
  local name=$1 blobs=$2; shift 2
  local port db
  port=$(free_port)
  db="bench_$(echo "${name//[^a-zA-Z0-9]/_}" | tr "A-Z" "a-z")"
  /usr/lib/postgresql/15/bin/psql "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -qc "CREATE DATABASE $db" >/dev/null
  env_args=(
    "DataDirectory=$work/data-$name"
    "ConnectionStrings__Postgres=Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=$db"
    "Blobs__Provider=$blobs" "Blobs__S3__Endpoint=$S3_ENDPOINT" "Blobs__S3__AccessKey=$S3_ACCESS_KEY"
    "Blobs__S3__SecretKey=$S3_SECRET_KEY" "Blobs__S3__Bucket=bench-$(echo "$name" | tr 'A-Z_' 'a-z-')"
    "RateLimiting__Enabled=false" "Logging__LogLevel__Default=Warning" "$@"
  )
  (cd "$work/app" && env "${env_args[@]}" dotnet UnhostedStore.dll users add bench --no-password >/dev/null)
  token=$(cd "$work/app" && env "${env_args[@]}" dotnet UnhostedStore.dll tokens issue bench --scope "*:rw")
  (cd "$work/app" && exec env "${env_args[@]}" dotnet UnhostedStore.dll --urls "http://127.0.0.1:$port" >"$work/server-$name.log" 2>&1) &
  server_pid=$!
  base="http://127.0.0.1:$port/storage/bench"
  for _ in $(seq 1 200); do curl -sf -o /dev/null -H "Authorization: Bearer $token" "$base/" && return 0; sleep 0.1; done
  echo "bench: server $name did not start; log:" >&2
  cat "$work/server-$name.log" >&2
  exit 1
}

bench_stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

bench_machine() {
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); $(dotnet --version | sed 's/^/.NET SDK /'); PostgreSQL 15; S3 = OpenStack Swift s3api on loopback."
}
