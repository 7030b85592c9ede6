# bench/report.sh: the Markdown report of bench/run.sh, sourced by it at its end (it reads the
# results run.sh gathered: R_*, U_*, targets, the pgbench and start-to-ready figures).
# shellcheck shell=bash

# --- Report -----------------------------------------------------------------------------------------
declare -A SERVER_NAME=(
  [ceiling]="raw Kestrel (ceiling)"
  [embedded]="UnhostedStore, SQLite + FS (embedded default)"
  [pg-fs]="UnhostedStore, PostgreSQL + FS"
  [pg-s3]="UnhostedStore, PostgreSQL + S3"
  [armadietto]="armadietto 0.6.6 (classic)"
)
declare -A WORKLOAD_NAME=(
  [get-doc]="GET 1 KB document, token"
  [get-304-doc]="conditional GET → 304, document"
  [get-304-folder]="conditional GET → 304, folder"
  [get-folder-100]="GET folder, 100 items"
  [list-10k]="GET folder, 10,000 items"
  [list-10k-c1]="GET folder, 10,000 items, 1 connection"
  [put-1k]="PUT 1 KB, 1,000 keys"
)
workloads="get-doc get-304-doc get-304-folder get-folder-100 list-10k list-10k-c1 put-1k"
ok() { [[ ${R_ok["$1,$2"]:-0} == 1 ]]; }
ran() { [[ -n ${R_ok["$1,$2"]:-} ]]; }
calc() { awk "BEGIN { $1 }"; }
num() { calc "printf \"%.${2:-0}f\", $1"; }
ratio_x() { calc "printf \"%.1f×\", $1 / $2"; }
ratio_pct() { calc "printf \"%.0f%%\", 100 * $1 / $2"; }
ceiling_for() { # workload -> "rps of the ceiling" or ""
  case $1 in
    get-doc | get-304-doc | get-304-folder | get-folder-100) ok ceiling get-doc && echo "${R_rps[ceiling,get-doc]}" ;;
    put-1k) [[ -n $pgbench_tps ]] && echo "$pgbench_tps" ;;
  esac
  return 0
}
cell_ratio_arm() { # server workload
  if [[ $1 == armadietto || $1 == ceiling ]] || ! ok "$1" "$2" || ! ok armadietto "$2"; then echo "—"; return; fi
  ratio_x "${R_rps[$1,$2]}" "${R_rps[armadietto,$2]}"
}
cell_ratio_ceiling() {
  local c
  c=$(ceiling_for "$2")
  if [[ $1 == ceiling || -z $c ]] || ! ok "$1" "$2"; then echo "—"; return; fi
  ratio_pct "${R_rps[$1,$2]}" "$c"
}

# Targets: each line "label|server|measured|met" (met: met, missed or not run).
targets=()
verdict() { case $1 in 1) echo "**met**" ;; 0) echo "**missed**" ;; *) echo "not judged" ;; esac; }
target_vs() { # label server workload min_x_armadietto(or "") min_pct_ceiling(or "")
  local label=$1 server=$2 wl=$3 min_x=$4 min_pct=$5 parts=() met=1 c
  if ! ran "$server" "$wl"; then targets+=("$label|${SERVER_NAME[$server]}|not run|not run"); return; fi
  if ! ok "$server" "$wl"; then targets+=("$label|${SERVER_NAME[$server]}|failed: ${R_err[$server,$wl]}|**missed**"); return; fi
  if [[ -n $min_x ]]; then
    if ok armadietto "$wl"; then
      parts+=("$(num "${R_rps[$server,$wl]}") req/s = $(ratio_x "${R_rps[$server,$wl]}" "${R_rps[armadietto,$wl]}") armadietto (≥ ${min_x}×)")
      calc "exit !(${R_rps[$server,$wl]} >= $min_x * ${R_rps[armadietto,$wl]})" || met=0
    else
      parts+=("armadietto not measured"); [[ $met == 0 ]] || met=-
    fi
  fi
  if [[ -n $min_pct ]]; then
    c=$(ceiling_for "$wl")
    local what="raw Kestrel"
    [[ $wl == put-1k ]] && what="pgbench -N tps"
    if [[ -n $c ]]; then
      parts+=("$(num "${R_rps[$server,$wl]}") req/s = $(ratio_pct "${R_rps[$server,$wl]}" "$c") of $what (≥ ${min_pct}%)")
      calc "exit !(${R_rps[$server,$wl]} >= $min_pct / 100 * $c)" || met=0
    else
      parts+=("$what not measured"); [[ $met == 0 ]] || met=-
    fi
  fi
  local joined
  joined=$(printf '%s; ' "${parts[@]}")
  targets+=("$label|${SERVER_NAME[$server]}|${joined%; }|$(verdict $met)")
}
for s in pg-fs embedded; do
  target_vs "GET 1 KB document with token: ≥ 10× armadietto and ≥ 35% of raw Kestrel" "$s" get-doc 10 35
  target_vs "conditional GET → 304, document: ≥ 40% of raw Kestrel" "$s" get-304-doc "" 40
  target_vs "conditional GET → 304, folder: ≥ 40% of raw Kestrel" "$s" get-304-folder "" 40
  target_vs "GET folder, 100 items: ≥ 10× armadietto" "$s" get-folder-100 10 ""
done
target_vs "PUT 1 KB, 1,000 keys, 32 connections: ≥ 10× armadietto and ≥ 50% of pgbench -N tps" pg-fs put-1k 10 50
# The PostgreSQL read path against the embedded default's, same run: ≥ 80% of its req/s, p99 no worse.
for wl in get-doc get-304-doc get-304-folder get-folder-100; do
  label="$wl on PostgreSQL + FS: ≥ 80% of the embedded default's req/s, p99 no worse"
  if ! ok pg-fs "$wl" || ! ok embedded "$wl"; then targets+=("$label|${SERVER_NAME[pg-fs]}|not run (needs pg-fs and embedded)|not run"); continue; fi
  m="$(num "${R_rps[pg-fs,$wl]}") vs $(num "${R_rps[embedded,$wl]}") req/s = $(ratio_pct "${R_rps[pg-fs,$wl]}" "${R_rps[embedded,$wl]}"); p99 $(num "${R_p99[pg-fs,$wl]}" 1) vs $(num "${R_p99[embedded,$wl]}" 1) ms"
  targets+=("$label|${SERVER_NAME[pg-fs]}|$m|$(verdict "$(calc "print (${R_rps[pg-fs,$wl]} >= 0.8 * ${R_rps[embedded,$wl]} && ${R_p99[pg-fs,$wl]} <= ${R_p99[embedded,$wl]}) ? 1 : 0")")")
done
for s in pg-fs embedded; do
  label="listing of a 10,000-item folder: p50 < 50 ms (32 connections)"
  if ! ran "$s" list-10k; then targets+=("$label|${SERVER_NAME[$s]}|not run|not run")
  elif ! ok "$s" list-10k; then targets+=("$label|${SERVER_NAME[$s]}|failed: ${R_err[$s,list-10k]}|**missed**")
  else
    m="p50 $(num "${R_p50[$s,list-10k]}" 1) ms at 32 connections"
    ok "$s" list-10k-c1 && m+=" (p50 $(num "${R_p50[$s,list-10k-c1]}" 1) ms on 1 connection)"
    targets+=("$label|${SERVER_NAME[$s]}|$m|$(verdict "$(calc "print (${R_p50[$s,list-10k]} < 50) ? 1 : 0")")")
  fi
done
for s in pg-fs pg-s3 embedded; do
  label="${large_mib} MiB upload: RSS growth < 64 MiB"
  if [[ -z ${U_base[$s]:-} ]]; then targets+=("$label|${SERVER_NAME[$s]}|not run|not run"); continue; fi
  if [[ ${U_status[$s]} != 20[01] ]]; then targets+=("$label|${SERVER_NAME[$s]}|upload answered ${U_status[$s]}|**missed**"); continue; fi
  g=$(( (U_peak[$s] - U_base[$s]) * 1024 ))
  targets+=("$label|${SERVER_NAME[$s]}|$(bench_mib "$g") MiB|$(verdict "$(( g < 64 * 1048576 ))")")
done
if want history; then
  for backend in embedded pg-fs; do
    label="PUT 1 KB, 1,000 keys, history on: ≥ 90% of history off (all windows)"
    read -r h_on h_off h_ok < <(history_ratio "$backend")
    if ((!h_ok)); then targets+=("$label|${SERVER_NAME[$backend]}|a window failed|**missed**"); continue; fi
    targets+=("$label|${SERVER_NAME[$backend]}|$(num "$h_on") vs $(num "$h_off") req/s = $(ratio_pct "$h_on" "$h_off")|$(verdict "$(calc "print ($h_on >= 0.9 * $h_off) ? 1 : 0")")")
  done
fi
if [[ -n $ready_first ]]; then
  targets+=("start to ready: < 1.5 s, first start (fresh data dir, migrations)|${SERVER_NAME[embedded]}|${ready_first} s|$(verdict "$(calc "print ($ready_first < 1.5) ? 1 : 0")")")
  targets+=("start to ready: < 1.5 s, restart (existing data dir)|${SERVER_NAME[embedded]}|${ready_again} s|$(verdict "$(calc "print ($ready_again < 1.5) ? 1 : 0")")")
else
  targets+=("start to ready: < 1.5 s|${SERVER_NAME[embedded]}|not run|not run")
fi

mkdir -p bench/results
out=${BENCH_RESULTS:-bench/results/$(date +%F).md}
cpu=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }')
arm_version=$(node -p 'require("./'"$armadietto_dir"'/node_modules/armadietto/package.json").version' 2>/dev/null || echo "not installed")
{
  echo "# UnhostedStore benchmark, $(date '+%Y-%m-%d %H:%M %Z')"
  echo
  bench_machine
  echo "CPU: ${cpu:-unknown}."
  echo "Tools: $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }'); armadietto $arm_version on node $(node --version 2>/dev/null || echo '—'); .NET runtime $(dotnet --list-runtimes | awk '/Microsoft.AspNetCore.App/ { v = $2 } END { print v }'); $("$pgbin/postgres" --version)."
  echo "Load: wrk, $connections connections, $threads threads, loopback; ${warmup} s warm-up then ${duration} s per workload (the 1-connection listing: ${c1_duration} s); the servers run one after another, never two loaded at once."
  echo "UnhostedStore: Release build, \`RateLimiting__Enabled=false\`, \`Logging__LogLevel__Default=Warning\`, durability settings untouched. PostgreSQL and pgbench: server defaults (fsync on, synchronous_commit on); UnhostedStore reaches PostgreSQL over $([[ ${BENCH_PG_SOCKET:-0} == 1 ]] && echo "its Unix-domain socket" || echo "TCP on 127.0.0.1")."
  echo "Data: user \`bench\`, module \`bench\`: a 1,024-byte JSON document, a 100-item folder, a 10,000-item folder; PUT writes 1,024-byte JSON over 1,000 keys. A workload with any unexpected status or socket error is marked failed."
  echo "Total run time: $(( $(date +%s) - started )) s."
  echo
  echo "## Throughput and latency"
  echo
  echo "| workload | server | req/s | p50 (ms) | p99 (ms) | errors | ÷ armadietto | ÷ ceiling |"
  echo "|---|---|---:|---:|---:|---|---:|---:|"
  for wl in $workloads; do
    for s in ceiling embedded pg-fs pg-s3 armadietto; do
      ran "$s" "$wl" || continue
      if [[ -n ${R_rps[$s,$wl]:-} ]]; then
        echo "| ${WORKLOAD_NAME[$wl]} | ${SERVER_NAME[$s]} | $(num "${R_rps[$s,$wl]}") | $(num "${R_p50[$s,$wl]}" 2) | $(num "${R_p99[$s,$wl]}" 2) | ${R_err[$s,$wl]} | $(cell_ratio_arm "$s" "$wl") | $(cell_ratio_ceiling "$s" "$wl") |"
      else
        echo "| ${WORKLOAD_NAME[$wl]} | ${SERVER_NAME[$s]} | — | — | — | FAILED: ${R_err[$s,$wl]} | — | — |"
      fi
    done
    if [[ $wl == get-doc && -n $pgbench_s_tps ]]; then
      echo "| ${WORKLOAD_NAME[$wl]} | pgbench -S -M prepared (PostgreSQL read ceiling, no HTTP), $connections clients | $(num "$pgbench_s_tps") tps | avg $pgbench_s_lat | — | 0 | — | — |"
    fi
    if [[ $wl == put-1k && -n $pgbench_tps ]]; then
      echo "| ${WORKLOAD_NAME[$wl]} | pgbench -N (ceiling), $connections clients | $(num "$pgbench_tps") tps | avg $pgbench_lat | — | 0 | — | — |"
    fi
  done
  echo
  echo "÷ ceiling: req/s over raw Kestrel's GET req/s (for PUT: over pgbench -N tps)."
  if ((large_mib > 0)) && ((${#U_base[@]})); then
    echo
    echo "## ${large_mib} MiB upload (PUT with a known length, application/octet-stream)"
    echo
    echo "| server | status | RSS before (MiB) | RSS peak (MiB) | RSS growth (MiB) | MiB/s |"
    echo "|---|---|---:|---:|---:|---:|"
    for s in embedded pg-fs pg-s3 armadietto; do
      [[ -n ${U_base[$s]:-} ]] || continue
      rate="—"
      [[ ${U_status[$s]} == 20[01] ]] && rate=$(bench_rate $((large_mib * 1048576)) "${U_secs[$s]}")
      echo "| ${SERVER_NAME[$s]} | ${U_status[$s]} | $(bench_mib $((U_base[$s] * 1024))) | $(bench_mib $((U_peak[$s] * 1024))) | **$(bench_mib $(( (U_peak[$s] - U_base[$s]) * 1024 )))** | $rate |"
    done
  fi
  if want history; then
    echo
    history_report
  fi
  if [[ -n $ready_first ]]; then
    echo
    echo "## Start to ready, embedded default"
    echo
    echo "From launching the published server (\`dotnet UnhostedStore.dll\`) until \`GET /readyz\` answers 200, polled every 10 ms: first start on a fresh data dir (creates the SQLite database, runs the migrations) **${ready_first} s**; restart on that data dir **${ready_again} s**."
  fi
  echo
  echo "## Targets"
  echo
  echo "| target | server | measured | result |"
  echo "|---|---|---|---|"
  for t in "${targets[@]}"; do
    IFS='|' read -r a b c d <<<"$t"
    echo "| $a | $b | $c | $d |"
  done
} | tee "$out"
log "results written to $out"
