#!/usr/bin/env bash
# bench/history.sh: what keeping versions costs a write. Not a test: it times things, CI does not.
#
#   bash bench/history.sh                 # on its own: embedded and PostgreSQL + FS
#   BENCH_SERVERS=history bash bench/run.sh   # the same, as part of the benchmark
#
# Per backend (the embedded default, and PostgreSQL + FS) two fresh servers run side by side, one
# with history on (the default: 30 days, 20 versions) and one with it off
# (Storage__VersionRetentionDays=0). Only one is ever loaded: PUT of 1 KB JSON over 1,000 keys,
# wrk with 32 connections, in short windows that alternate on, off, off, on, on, off, … so that
# whatever drifts during the run (the disk, PostgreSQL's checkpoints and autovacuum, the
# machine's other work) falls on both sides alike. Fresh servers one after the other, the
# earlier design, gave single rounds from 47% to 125% for an effect of about 10%: each start
# draws its own JIT, heap and disk state, and those differ by more than history costs.
# The figure is the sum of the on windows' requests over the off windows' (equal time).
#
# Environment (all optional):
#   BENCH_HISTORY_PAIRS   on/off pairs of windows per backend (default 12)
#   BENCH_HISTORY_WINDOW  seconds per window (default 5)
#   BENCH_HISTORY_WARMUP  seconds of unmeasured PUTs per server before the first window (default
#                         20: with wrk and the server on 2 cores, the JIT's later tiers take that
#                         long; after 5 s a server still ran at 40% of its later rate)
#   BENCH_HISTORY_BACKENDS  "embedded pg-fs" (default)
#   BENCH_RESULTS         on its own: where to write the results (default
#                         bench/results/history-<YYYY-MM-DD>.md)
# shellcheck shell=bash

# history_bench <backend>: runs the interleaved windows; appends "backend window mode rps p99_ms
# ok" lines to $work/history.tsv. Needs bench/lib.sh's setup ($work, PostgreSQL).
history_bench() {
  local backend=$1 pairs=${BENCH_HISTORY_PAIRS:-12} window=${BENCH_HISTORY_WINDOW:-5} warm=${BENCH_HISTORY_WARMUP:-20}
  local -A h_base=() h_tok=() h_pid=()
  local mode name i order line
  for mode in on off; do
    name="hist-$mode-$backend"
    local extra=("Storage__MaxDocumentBytes=1048576")
    [[ $mode == off ]] && extra+=("Storage__VersionRetentionDays=0")
    echo "bench: $name: starting UnhostedStore (history $mode)…" >&2
    if [[ $backend == embedded ]]; then
      bench_start_embedded "$name" "${extra[@]}"
    else
      bench_start_server "$name" FileSystem "${extra[@]}"
    fi
    h_base[$mode]=$base h_tok[$mode]=$token h_pid[$mode]=$server_pid
    bench_track "$server_pid"
    server_pid=""
  done
  if [[ $backend != embedded ]]; then
    /usr/lib/postgresql/15/bin/psql "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -qc "CHECKPOINT" >/dev/null
  fi
  for mode in on off; do
    if ((warm > 0)); then history_wrk "${h_base[$mode]}" "${h_tok[$mode]}" "$warm" >/dev/null; fi
  done
  for ((i = 1; i <= pairs; i++)); do
    # ABBA: a drift that grows through the run is split evenly between on and off.
    if ((i % 2)); then order="on off"; else order="off on"; fi
    for mode in $order; do
      line=$(history_wrk "${h_base[$mode]}" "${h_tok[$mode]}" "$window")
      echo "$backend $i $mode $line" >>"$work/history.tsv"
      echo "bench: history $backend window $i, $mode: $line" >&2
      if ! kill -0 "${h_pid[$mode]}" 2>/dev/null; then
        echo "bench/history.sh: the history-$mode server on $backend died" >&2
        exit 1
      fi
    done
  done
  for mode in on off; do
    kill "${h_pid[$mode]}" 2>/dev/null || true
    wait "${h_pid[$mode]}" 2>/dev/null || true
    bench_untrack "${h_pid[$mode]}"
    if [[ $backend != embedded ]]; then
      # Its tables would otherwise be vacuumed while the next backend is measured.
      /usr/lib/postgresql/15/bin/psql "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -qc "DROP DATABASE bench_hist_${mode}_${backend//-/_}" >/dev/null
    fi
  done
}

# history_wrk <base> <token> <seconds>: one window of PUTs; prints "rps p99_ms ok" (ok: 1 when
# every response was 200 or 201 and no socket failed).
history_wrk() {
  local out
  out=$(env "BENCH_TOKEN=$2" BENCH_EXPECT=200,201 BENCH_MODE=put BENCH_KEYS=1000 BENCH_THREADS=2 \
    wrk -t2 -c32 --timeout 30s "-d$3s" -s bench/wrk/bench.lua "$1/bench/put/" 2>&1 | grep '^RESULT ' || true)
  if [[ -z $out ]]; then echo "0 0 0"; return; fi
  local -A f=()
  local kv
  for kv in ${out#RESULT }; do f[${kv%%=*}]=${kv#*=}; done
  local bad=$((f[unexpected] + f[connect] + f[read] + f[write] + f[timeout]))
  echo "${f[rps]} ${f[p99_ms]} $((bad == 0 && f[requests] > 0 ? 1 : 0))"
}

# history_ratio <backend>: "on_rps off_rps ok" summed over the windows (ok: every window passed).
history_ratio() {
  awk -v b="$1" '$1 == b { s[$3] += $4; if (!$6) bad = 1 } END { printf "%.1f %.1f %d\n", s["on"], s["off"], (!bad && s["off"] > 0) }' "$work/history.tsv"
}

# history_report: the Markdown section for every backend measured.
history_report() {
  local pairs=${BENCH_HISTORY_PAIRS:-12} window=${BENCH_HISTORY_WINDOW:-5}
  echo "## What history costs: PUT 1 KB over 1,000 keys, history on (30 days) and off"
  echo
  echo "Two fresh servers per backend, side by side, one with history on and one with it off; ${BENCH_HISTORY_WARMUP:-20} s of PUTs each to warm up, then $pairs pairs of ${window} s windows, loading one server at a time in the order on, off, off, on, on, off, … (\`bench/history.sh\`). Every PUT with history on keeps the replaced version (a row, in the same transaction). On ÷ off is the on windows' requests over the off windows'."
  echo
  echo "| backend | history on req/s (mean) | history off req/s (mean) | on ÷ off | pairs: lowest, median, highest on ÷ off | p99 on / off (ms, median window) |"
  echo "|---|---:|---:|---:|---|---|"
  local backend
  for backend in ${BENCH_HISTORY_BACKENDS:-embedded pg-fs}; do
    grep -q "^$backend " "$work/history.tsv" 2>/dev/null || continue
    awk -v b="$backend" -v name="$(history_name "$backend")" '
      function median(a, n,   i, j, t) {
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      $1 == b { r[$2, $3] = $4; s[$3] += $4; c[$3]++; if (!$6) bad = 1; p[$3, ++pc[$3]] = $5; if ($2 > n) n = $2 }
      END {
        for (i = 1; i <= n; i++) q[i] = r[i, "on"] / r[i, "off"]
        lo = hi = q[1]; for (i = 1; i <= n; i++) { if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i] }
        for (i = 1; i <= pc["on"]; i++) pon[i] = p["on", i]
        for (i = 1; i <= pc["off"]; i++) poff[i] = p["off", i]
        printf "| %s | %.0f | %.0f | **%.0f%%**%s | %.0f%%, %.0f%%, %.0f%% | %.1f / %.1f |\n", name, s["on"] / c["on"], s["off"] / c["off"],
          100 * s["on"] / s["off"], bad ? " (a window FAILED)" : "", 100 * lo, 100 * median(q, n), 100 * hi, median(pon, pc["on"]), median(poff, pc["off"])
      }' "$work/history.tsv"
  done
  echo
  echo "Every window, req/s:"
  echo
  echo '```'
  awk '{ printf "%-9s pair %2d  %-3s %8.0f req/s  p99 %6.1f ms%s\n", $1, $2, $3, $4, $5, $6 ? "" : "  FAILED" }' "$work/history.tsv"
  echo '```'
}

history_name() { case $1 in embedded) echo "UnhostedStore, SQLite + FS (embedded default)" ;; *) echo "UnhostedStore, PostgreSQL + FS" ;; esac; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  if ! command -v wrk >/dev/null; then
    if [[ $(id -u) == 0 ]]; then
      apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    else
      echo "bench/history.sh: wrk is required; install it with: sudo apt-get install -y wrk" >&2
      exit 1
    fi
  fi
  # shellcheck source=bench/lib.sh
  source bench/lib.sh
  BENCH_NO_S3=1 bench_setup
  for b in ${BENCH_HISTORY_BACKENDS:-embedded pg-fs}; do history_bench "$b"; done
  out=${BENCH_RESULTS:-bench/results/history-$(date +%F).md}
  mkdir -p "$(dirname "$out")"
  {
    echo "# History on and off, $(date '+%Y-%m-%d %H:%M %Z'), commit $(git rev-parse --short HEAD)"
    echo
    bench_machine
    echo
    history_report
    echo
    for b in ${BENCH_HISTORY_BACKENDS:-embedded pg-fs}; do
      read -r on off ok < <(history_ratio "$b")
      echo "- Target, PUT with history on ≥ 90% of off, $(history_name "$b"): $(awk -v a="$on" -v b="$off" -v ok="$ok" 'BEGIN { printf "%.0f%% — %s", 100 * a / b, (ok && a >= 0.9 * b) ? "met" : "**missed**" }')"
    done
  } | tee "$out"
  echo "bench: results written to $out" >&2
fi
