# bench/armadietto/run.sh: the reference server's part of bench/run.sh, sourced by it (it uses
# run.sh's helpers and variables: want, log, free_port, work, armadietto_dir, remotestorage_workloads).
# shellcheck shell=bash

# --- 4. armadietto ---------------------------------------------------------------------------------
# armadietto's PUT rewrites the folder's whole metadata file (.~meta, JSON) under a per-user lock,
# so 10,000 PUTs into one folder cost O(n²) (minutes). The first 100 of the 10,000-item folder go
# over HTTP; the rest are written in armadietto's own on-disk format (bench/populate.py
# armadietto-fill) and the listing is then checked over HTTP like everywhere else.
armadietto_fill() { # folder URL
  local folder=$1
  /usr/bin/python3 bench/populate.py put "$folder" "$tok" 100 1
  /usr/bin/python3 bench/populate.py armadietto-fill "$work/armadietto/data/be/bench/storage/bench/f10k" 10000
}
if want armadietto; then
  log "armadietto: starting…"
  mkdir -p "$work/armadietto/data"
  port=$(free_port)
  cat >"$work/armadietto/conf.json" <<EOF
{
  "allow_signup": true,
  "storage_path": "$work/armadietto/data",
  "cache_views": true,
  "http": { "host": "127.0.0.1", "port": $port },
  "logging": { "log_dir": "$work/armadietto", "stdout": [], "log_files": ["error"] },
  "basePath": ""
}
EOF
  server_log="$work/armadietto/out.log"
  node "$armadietto_dir/node_modules/armadietto/bin/armadietto.js" -c "$work/armadietto/conf.json" >"$work/armadietto/out.log" 2>&1 &
  srv_pid=$!
  bench_track "$srv_pid"
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  st=$(curl -s -o /dev/null -w '%{http_code}' --data 'username=bench&email=bench@example.com&password=bench-password' "http://127.0.0.1:$port/signup")
  [[ $st == 201 ]] || { echo "bench/run.sh: armadietto signup answered $st" >&2; cat "$work/armadietto/out.log" >&2; exit 1; }
  location=$(curl -s -o /dev/null -w '%{redirect_url}' \
    --data 'username=bench&password=bench-password&client_id=http://127.0.0.1&redirect_uri=http://127.0.0.1/bench&response_type=token&scope=*:rw&state=bench&allow=Allow' \
    "http://127.0.0.1:$port/oauth")
  tok=$(/usr/bin/python3 -c 'import sys, urllib.parse; f = urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[1]).fragment); print(f["access_token"][0])' "$location") \
    || { echo "bench/run.sh: armadietto gave no token (redirect: $location)" >&2; exit 1; }
  store="http://127.0.0.1:$port/storage/bench"
  remotestorage_workloads armadietto 1 armadietto_fill
  kill "$srv_pid" 2>/dev/null || true
  wait "$srv_pid" 2>/dev/null || true
  bench_untrack "$srv_pid"
fi
