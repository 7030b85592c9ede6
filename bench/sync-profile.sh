# bench/sync-profile.sh: what bounds a sync-simulator run, sourced by bench/sync.sh.
#
# For the measured window of every run (it starts when the simulator writes its ready file):
#   - dotnet-counters on every server instance, once a second: thread-pool threads, queue and
#     work items, lock contentions, time in GC, Kestrel connections, requests in progress;
#   - dotnet-trace (sampled thread time) for 10 s in the middle of the window on the first instance:
#     the methods on the most thread stacks (the sampler takes every managed thread, waiting
#     ones too, so a pool blocked in a synchronous wait shows here) and on the CPU;
#   - PostgreSQL (pg2): CPU of all its processes, and what its client backends wait on,
#     sampled from pg_stat_activity once a second.
# The tools come from the repository's tool manifest (`dotnet tool restore`).

profile_setup() {
  dotnet tool restore >/dev/null
}

pg_ticks() { # utime+stime of the postmaster and all its children
  local pm t=0 p v
  pm=$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null) || { echo 0; return; }
  for p in $pm $(pgrep -P "$pm"); do
    v=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)
    t=$((t + v))
  done
  echo "$t"
}

profile_run() { # run-number ready-file dep: in the background for the whole run
  local run=$1 ready=$2 dep=$3 name pid t0 pg0 pg1 i dir="$work/profile-$1"
  mkdir -p "$dir"
  for ((i = 0; i < 3000; i++)); do [[ -s $ready ]] && break; sleep 0.2; done
  [[ -s $ready ]] || return 0
  t0=$(date +%s)
  for name in "${instances[@]}"; do
    pid=$(cat "$work/pid-$name")
    dotnet dotnet-counters collect -p "$pid" --refresh-interval 1 --format csv -o "$dir/counters-$name.csv" \
      --duration "00:00:00:$(printf '%02d' $((duration > 59 ? 59 : duration)))" \
      --counters "EventCounters\\System.Runtime,Microsoft.AspNetCore.Server.Kestrel,Microsoft.AspNetCore.Hosting" >/dev/null 2>&1 &
  done
  pg0=$( [[ $dep == pg2 ]] && pg_ticks || echo 0)
  (
    sleep $((duration / 2 > 5 ? duration / 2 - 5 : 0))
    pid=$(cat "$work/pid-${instances[0]}")
    dotnet dotnet-trace collect -p "$pid" --profile dotnet-sampled-thread-time --duration 00:00:00:10 -o "$dir/trace.nettrace" >/dev/null 2>&1 || true
  ) &
  for ((i = 0; i < duration; i++)); do
    if [[ $dep == pg2 ]]; then
      /usr/lib/postgresql/15/bin/psql "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -AtF $'\t' -c \
        "SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU'), state FROM pg_stat_activity WHERE backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid()" \
        >>"$dir/pg-waits.tsv" 2>/dev/null || true
    fi
    sleep 1
  done
  pg1=$( [[ $dep == pg2 ]] && pg_ticks || echo 0)
  echo "$(( (pg1 - pg0) * 100 / $(getconf CLK_TCK) / ($(date +%s) - t0) ))" >"$dir/pg-cpu"
  wait
}

profile_report() { # run-number: Markdown on stdout
  local run=$1 dir="$work/profile-$1" f name
  echo "#### What bounds it (profile of the measured window)"
  echo
  echo "| instance | thread-pool threads (max) | thread-pool queue (mean / max) | work items /s | lock contentions /s | time in GC % | connections (max) | requests in progress (mean / max) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for f in "$dir"/counters-*.csv; do
    [[ -e $f ]] || continue
    name=${f##*/counters-}; name=${name%.csv}
    python3 - "$f" "$name" <<'PY'
import csv, sys
path, name = sys.argv[1], sys.argv[2]
# Rates are per 1 s interval; gauges with dimensions (Kestrel's, Hosting's) are summed per timestamp.
rates, gauges = {}, {}
with open(path, newline="") as fh:
    for row in csv.reader(fh):
        if len(row) < 5 or row[0] == "Timestamp":
            continue
        key = row[2].split(" (")[0].split("[")[0].strip()
        try:
            v = float(row[4])
        except ValueError:
            continue
        if row[3] == "Rate":
            rates.setdefault(key, {}).setdefault(row[0], 0.0)
            rates[key][row[0]] += v
        elif "Percentile" not in row[2]:
            gauges.setdefault(key, {}).setdefault(row[0], 0.0)
            gauges[key][row[0]] += v
def series(d, k):
    return list(d.get(k, {}).values())
nan = float("nan")
mean = lambda v: sum(v) / len(v) if v else nan
top = lambda v: max(v) if v else nan
fmt = lambda x, d=0: "—" if x != x else f"{x:,.{d}f}"
threads = series(gauges, "ThreadPool Thread Count")
queue = series(gauges, "ThreadPool Queue Length")
active = series(gauges, "http.server.active_requests")
print(f"| {name} | {fmt(top(threads))} | {fmt(mean(queue))} / {fmt(top(queue))} | "
      f"{fmt(mean(series(rates, 'ThreadPool Completed Work Item Count')))} | {fmt(mean(series(rates, 'Monitor Lock Contention Count')))} | "
      f"{fmt(mean(series(gauges, '% Time in GC since last GC')), 1)} | {fmt(top(series(gauges, 'kestrel.active_connections')))} | "
      f"{fmt(mean(active))} / {fmt(top(active))} |")
PY
  done
  echo
  if [[ -s $dir/pg-cpu ]] && [[ -s $dir/pg-waits.tsv || $(cat "$dir/pg-cpu") != 0 ]]; then
    echo "PostgreSQL, all processes: $(cat "$dir/pg-cpu")% of one core. Its client backends, sampled once a second (busy backends per sample, by what they were doing):"
    echo
    echo "| backend state | mean per sample |"
    echo "|---|---:|"
    awk -F'\t' -v n="$duration" '{ c[$1 " (" $2 ")"]++ } END { for (k in c) printf "| %s | %.1f |\n", k, c[k] / n }' "$dir/pg-waits.tsv" | sort -t'|' -k3 -rn | head -8
    echo
  fi
  if [[ -s $dir/trace.nettrace ]]; then
    echo "dotnet-trace (sampled thread time, ~100 Hz, 10 s, instance ${instances[0]}): methods on the most sampled thread stacks, inclusive (waiting threads included):"
    echo
    echo '```'
    dotnet dotnet-trace report "$dir/trace.nettrace" topN -n 25 --inclusive 2>/dev/null | sed -n '1,40p' | cut -c1-160
    echo '```'
    echo
    echo "… and exclusive (where the samples were taken):"
    echo
    echo '```'
    dotnet dotnet-trace report "$dir/trace.nettrace" topN -n 12 2>/dev/null | sed -n '1,30p' | cut -c1-160
    echo '```'
    echo
  fi
}
