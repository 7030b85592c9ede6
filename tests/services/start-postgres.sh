#!/usr/bin/env bash
# Start a throw-away PostgreSQL 15 (initdb + pg_ctl) on a free 127.0.0.1 port, in DIR, and print
# eval-able lines: PG_PORT, PG_DATA, PG_CONNECTION (an Npgsql connection string as superuser).
# PostgreSQL refuses to run as root: when we are root the cluster belongs to the postgres user.
#
#   DIR=<dir> bash tests/services/start-postgres.sh          start
#   DIR=<dir> bash tests/services/start-postgres.sh stop     stop (immediate)
#
# PG_OPTIONS: more server settings ("-c name=value ..."); tests/run.sh turns off what only
# guards against an operating-system crash (the benchmarks keep the server defaults).
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
log() { echo "start-postgres: $*" >&2; }
: "${DIR:?set DIR to a directory for the cluster}"
as_pg=()
[[ $(id -u) == 0 ]] && as_pg=(runuser -u postgres --)

if [[ "${1:-}" == "stop" ]]; then
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  exit 0
fi

if [[ ! -x "$PGBIN/initdb" || ! -x "$PGBIN/pg_ctl" ]]; then
  log "PostgreSQL 15 server binaries not found in $PGBIN; install them with: apt-get install -y postgresql-15"
  exit 1
fi

mkdir -p "$DIR"
if [[ $(id -u) == 0 ]]; then
  id postgres >/dev/null 2>&1 || { log "running as root needs a 'postgres' user (apt-get install -y postgresql-15 creates it)"; exit 1; }
  chown postgres "$DIR"
  chmod 755 "$DIR"
fi

port=${PORT:-$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
"${as_pg[@]}" "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/data/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$DIR -c max_connections=${PG_MAX_CONNECTIONS:-500} -c shared_buffers=${PG_SHARED_BUFFERS:-64MB} ${PG_OPTIONS:-}" \
  start >/dev/null || { cat "$DIR/data/server.log" >&2; exit 1; }

echo "PG_PORT=$port"
echo "PG_DATA=$DIR/data"
echo "PG_CONNECTION=\"Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres\""
