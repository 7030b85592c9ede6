#!/usr/bin/env bash
# Used by tests/run.sh (adapted from shared/design/s3/start-swift.sh).
# Start a throw-away single-node OpenStack Swift ("Swift all in one") with the
# S3 API (s3api + tempauth) on 127.0.0.1 only, in the background, and print how
# to reach it. Debian 12 packages, unpatched: swift 2.30.1.
#
#   start-swift.sh            start; prints KEY=value lines (eval-able)
#   start-swift.sh stop       stop the servers of $DIR (or of $PID_FILE)
#
# Five processes (memcached + proxy + account + container + object server,
# workers=0 i.e. one eventlet process each); no replicators/auditors/updaters (not needed for
# a short-lived single-replica store). Everything (configs, rings, swift.conf,
# data, logs, PID files) lives in DIR; /etc/swift is NOT used.
#
# Environment (all optional):
#   PORT            S3/Swift proxy port on 127.0.0.1 (default: a free port)
#   DIR             data+config folder (default: a new mktemp -d folder)
#   PID_FILE        default: $DIR/swift.pids  (one PID a line)
#   S3_ACCESS_KEY   default: ci:s3    (tempauth wants "account:user")
#   S3_SECRET_KEY   default: ci-secret
#   SWIFT_WORKERS   workers per server (default 0 = single process)
#   SWIFT_LOG_LEVEL default WARNING (logs: $DIR/log/*.log)
#   SWIFT_INSTALL   1 = apt-get install the packages if missing (default 1 when root)
#   S3_WAIT_S       seconds to wait for the S3 API (default 60)
#
# Printed: S3_ENDPOINT S3_URL S3_ACCESS_KEY S3_SECRET_KEY S3_REGION S3_DATA_DIR
#   S3_PID_FILE S3_PIDS (memcached account container object proxy) S3_LOG_DIR
#   SWIFT_BACKEND_PORTS (account container object memcached, all 127.0.0.1)
# Client: MinioClient().WithEndpoint(host, port).WithCredentials(S3_ACCESS_KEY,
#   S3_SECRET_KEY).WithRegion("us-east-1").WithSSL(false)   (path-style)
#
# Example:
#   eval "$(bash start-swift.sh)"
#   echo "$S3_ENDPOINT $S3_ACCESS_KEY $S3_SECRET_KEY"
#   DIR=$S3_DATA_DIR bash start-swift.sh stop
set -euo pipefail

PY=/usr/bin/python3          # Debian's python (swift + eventlet live in dist-packages)
log() { echo "start-swift: $*" >&2; }

stop_pids() { # $1 = pid file
  local f="$1" pid
  [[ -f "$f" ]] || return 0
  while read -r pid; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done <"$f"
  for _ in $(seq 1 50); do
    local alive=0
    while read -r pid; do [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && alive=1; done <"$f"
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  while read -r pid; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  done <"$f"
  log "stopped pids $(tr '\n' ' ' <"$f")"
  rm -f "$f"
}

if [[ "${1:-}" == "stop" ]]; then
  if [[ -z "${PID_FILE:-}" ]]; then
    : "${DIR:?set DIR (S3_DATA_DIR) or PID_FILE (S3_PID_FILE) printed at start}"
    PID_FILE="$DIR/swift.pids"
  fi
  stop_pids "$PID_FILE"
  exit 0
fi

# 0. packages (Debian 12: swift 2.30.1). policy-rc.d/systemd may start the
#    packaged services on install; we never use them (they would read /etc/swift).
if ! command -v memcached >/dev/null || ! "$PY" -c 'import swift, eventlet' 2>/dev/null || [[ ! -f /usr/lib/python3/dist-packages/swift/obj/server.py ]] \
   || [[ ! -f /usr/lib/python3/dist-packages/swift/proxy/server.py ]]; then
  if [[ "${SWIFT_INSTALL:-$([[ $(id -u) == 0 ]] && echo 1 || echo 0)}" == 1 ]]; then
    log "installing swift packages (apt)"
    apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends \
      python3-swift swift swift-proxy swift-account swift-container swift-object memcached >&2
  else
    log "need: apt-get install python3-swift swift-proxy swift-account swift-container swift-object"; exit 1
  fi
fi

DIR="${DIR:-$(mktemp -d -t swiftdata.XXXXXX)}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
PID_FILE="${PID_FILE:-$DIR/swift.pids}"
ACCESS="${S3_ACCESS_KEY:-ci:s3}"
SECRET="${S3_SECRET_KEY:-ci-secret}"
WORKERS="${SWIFT_WORKERS:-0}"
LOGLEVEL="${SWIFT_LOG_LEVEL:-WARNING}"
WAIT_S="${S3_WAIT_S:-60}"
RUNUSER="$(id -un)"
[[ "$ACCESS" == *:* ]] || { log "S3_ACCESS_KEY must look like account:user"; exit 1; }
S_ACCOUNT="${ACCESS%%:*}"; S_USER="${ACCESS#*:}"

mkdir -p "$DIR/etc" "$DIR/srv/d1" "$DIR/log" "$DIR/cache"

# 1. free ports (proxy = PORT if given), all on 127.0.0.1
read -r P_PROXY P_ACC P_CON P_OBJ P_MEMC < <("$PY" - "${PORT:-0}" <<'PY'
import socket, sys
want = int(sys.argv[1]); socks = []; ports = []
for i in range(5):
    s = socket.socket(); s.bind(("127.0.0.1", want if (i == 0 and want) else 0))
    socks.append(s); ports.append(s.getsockname()[1])
print(*ports)
PY
)

# 2. configs (swift_dir points every server at $DIR/etc)
cat >"$DIR/etc/swift.conf" <<EOF
[swift-hash]
swift_hash_path_prefix = ci-prefix
swift_hash_path_suffix = ci-suffix
[storage-policy:0]
name = Policy-0
default = yes
EOF

common() { # $1 = port
cat <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $1
workers = $WORKERS
user = $RUNUSER
swift_dir = $DIR/etc
devices = $DIR/srv
mount_check = false
disable_fallocate = true
log_level = $LOGLEVEL
log_name = swift
recon_cache_path = $DIR/cache
EOF
}
# Under a loaded test machine the servers' defaults (0.5 s to connect, 3 s for a container
# update) can time out. The object server then answers the write but saves the container update
# for an updater (none runs here), so the bucket listing stays stale for good: a deleted object
# still listed, or a new one missing. Wait long enough that a listing reflects every answered
# write; the proxy likewise waits for a busy object server instead of answering 503.
OBJECT_TIMEOUTS='conn_timeout = 10
node_timeout = 60
container_update_timeout = 60'
for s in account container object; do
  case $s in account) p=$P_ACC;; container) p=$P_CON;; object) p=$P_OBJ;; esac
  { common "$p"; cat <<EOF
[pipeline:main]
pipeline = $s-server
[app:$s-server]
use = egg:swift#$s
$([[ $s == object ]] && printf '%s\n' "$OBJECT_TIMEOUTS")
[$s-replicator]
[$s-auditor]
[$s-updater]
EOF
  } >"$DIR/etc/$s-server.conf"
done

# No proxy-logging: it formats an access log line for every request, only to drop it at this
# log level; nor symlink, which nothing here uses. A test run spends about a sixth of its CPU in Swift.
{ common "$P_PROXY"; cat <<EOF
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck cache listing_formats s3api tempauth copy slo dlo versioned_writes proxy-server
[app:proxy-server]
use = egg:swift#proxy
conn_timeout = 10
node_timeout = 60
account_autocreate = true
allow_account_management = true
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:tempauth]
use = egg:swift#tempauth
user_${S_ACCOUNT}_${S_USER} = $SECRET .admin
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$P_MEMC
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
EOF
} >"$DIR/etc/proxy-server.conf"

# 3. rings (1 replica, 1 device), built in-process (faster than 9 swift-ring-builder runs)
"$PY" - "$DIR/etc" "$P_ACC" "$P_CON" "$P_OBJ" <<'PY'
import sys
from swift.common.ring import RingBuilder
d, ports = sys.argv[1], dict(zip(("account", "container", "object"), sys.argv[2:5]))
for name, port in ports.items():
    b = RingBuilder(6, 1, 1)   # part_power 6, 1 replica, min_part_hours 1
    b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
               "device": "d1", "weight": 100, "meta": ""})
    b.rebalance()
    b.save(f"{d}/{name}.builder")
    b.get_ring().save(f"{d}/{name}.ring.gz")
PY

# 4. launcher: use $DIR/etc/swift.conf instead of /etc/swift/swift.conf, and log
#    to stderr (=$DIR/log/*.log) instead of syslog/UDP
cat >"$DIR/etc/launch.py" <<'PY'
import logging, sys
from swift.common import utils
swift_dir, conf, app = sys.argv[1:4]
utils.set_swift_dir(swift_dir)
from swift.common import storage_policy, constraints
storage_policy.reload_storage_policies()
constraints.reload_constraints()
class _Stderr(logging.StreamHandler):
    def __init__(self, *a, **k):
        super().__init__(sys.stderr)
utils.ThreadSafeSysLogHandler = _Stderr
from swift.common.wsgi import run_wsgi
sys.exit(run_wsgi(conf, app))
PY

: >"$PID_FILE"
# tempauth (also for S3 requests) refuses to work without memcache ("Memcache required")
MEMC_USER=(); [[ $(id -u) == 0 ]] && MEMC_USER=(-u root)
nohup memcached -l 127.0.0.1 -p "$P_MEMC" -U 0 -m 64 -t 1 "${MEMC_USER[@]}" \
  >"$DIR/log/memcached.log" 2>&1 </dev/null &
echo $! >>"$PID_FILE"
for s in account container object proxy; do
  nohup "$PY" "$DIR/etc/launch.py" "$DIR/etc" "$DIR/etc/$s-server.conf" "$s-server" \
    >"$DIR/log/$s.log" 2>&1 </dev/null &
  echo $! >>"$PID_FILE"
done

# 5. wait until an (unauthenticated) S3 request gets an S3 answer; healthcheck first
up=0
for _ in $(seq 1 $((WAIT_S * 10))); do
  if ! xargs -a "$PID_FILE" -n1 kill -0 2>/dev/null; then break; fi
  ok=1
  (exec 3<>"/dev/tcp/127.0.0.1/$P_MEMC") 2>/dev/null || { sleep 0.1; continue; }
  for p in $P_ACC $P_CON $P_OBJ; do   # any HTTP answer = listening
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$p/" || true)" != 000 ]] || { ok=0; break; }
  done
  if [[ $ok == 1 && "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$P_PROXY/healthcheck" || true)" == 200 ]]; then
    up=1; break
  fi
  sleep 0.1
done
if [[ $up != 1 ]]; then
  log "swift did not come up; logs follow"
  tail -n 20 "$DIR"/log/*.log >&2 || true
  stop_pids "$PID_FILE"
  exit 1
fi

echo "S3_ENDPOINT=127.0.0.1:$P_PROXY"
echo "S3_URL=http://127.0.0.1:$P_PROXY"
echo "S3_ACCESS_KEY=$ACCESS"
echo "S3_SECRET_KEY=$SECRET"
echo "S3_REGION=us-east-1"
echo "S3_DATA_DIR=$DIR"
echo "S3_PID_FILE=$PID_FILE"
echo "S3_PIDS=\"$(tr '\n' ' ' <"$PID_FILE" | sed 's/ $//')\""
echo "S3_LOG_DIR=$DIR/log"
echo "SWIFT_BACKEND_PORTS=\"$P_ACC $P_CON $P_OBJ $P_MEMC\""
