#!/usr/bin/env bash
# Times envpin's store against the tools it competes with, side by side in one run on the same
# tree, warm page cache, and prints a Markdown table (docs/BENCHMARKS.md, "## Store"):
#   first snapshot (adopt)     vs  find | xargs -P$(nproc) sha256sum, openssl dgst, cp -a
#   unchanged snapshot, status vs  a stat walk (find -printf)
#   peak memory (RSS) of adopt on a tree with a 100 MB file vs one with a 1 GB file
#
#   bench/store_bench.sh [--scale S] [--envpin PATH] [--work DIR] [--repeat N]
# Needs a release build: cmake --preset release && cmake --build --preset release --target envpin
set -euo pipefail
cd "$(dirname "$0")/.."
scale=1.0 envpin=build/release/envpin work=/tmp/envpin-bench repeat=3
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --envpin) envpin=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "usage: $0 [--scale S] [--envpin PATH] [--work DIR] [--repeat N]" >&2; exit 2 ;;
  esac
done
envpin=$(realpath "$envpin")
cores=$(nproc)
env_dir=$work/env
log=$work/bench.log
mkdir -p "$work"
: > "$log"

if [ ! -d "$env_dir" ]; then
  echo "generating the tree (scale $scale) in $env_dir ..." >&2
  python3 bench/make_env_tree.py "$env_dir" --scale "$scale"
fi
sync
files=$(find "$env_dir" -type f | wc -l)
bytes=$(du -sb "$env_dir" | cut -f1)

warm() { find "$env_dir" -type f -print0 | xargs -0 -n 256 cat > /dev/null; }

# measure NAME SETUP COMMAND...: runs SETUP (untimed, then sync), then COMMAND, $repeat times;
# records the median wall time (s) in T[NAME] and the largest peak RSS (kB) in M[NAME].
declare -A T M
measure() {
  local name=$1 setup=$2; shift 2
  local times=() peak=0
  for _ in $(seq "$repeat"); do
    bash -c "$setup" >> "$log" 2>&1; sync
    local start end rss
    start=$(date +%s.%N)
    /usr/bin/time -f %M -o "$work/rss" "$@" > /dev/null 2>> "$log"
    end=$(date +%s.%N)
    rss=$(tail -1 "$work/rss")
    times+=("$(echo "$end - $start" | bc -l)")
    [ "$rss" -gt "$peak" ] && peak=$rss
  done
  T[$name]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  M[$name]=$peak
  printf '%-28s %8.3f s  %8d kB\n' "$name" "${T[$name]}" "$peak" >&2
}

store=$work/store
fresh_store="rm -rf '$store' '$work/copy'"
warm
measure sha256sum "" bash -c "find '$env_dir' -type f -print0 | xargs -0 -P$cores sha256sum"
measure openssl "" bash -c "find '$env_dir' -type f -print0 | xargs -0 -P$cores openssl dgst -sha256"
measure cp_a "rm -rf '$work/copy'" cp -a "$env_dir" "$work/copy"
measure cp_a_sync "rm -rf '$work/copy'" bash -c "cp -a '$env_dir' '$work/copy' && sync"
rm -rf "$work/copy"; warm
measure adopt_copy "$fresh_store" "$envpin" --store "$store" adopt "$env_dir" --name bench --link-mode copy
warm
measure adopt "$fresh_store" "$envpin" --store "$store" adopt "$env_dir" --name bench
mode=$("$envpin" --store "$store" snapshot bench --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["link_mode"])')
warm
measure stat_walk "" bash -c "find '$env_dir' -printf '%p %s %T@ %C@ %i\n'"
measure snapshot_unchanged "" "$envpin" --store "$store" snapshot bench
measure status_unchanged "" "$envpin" --store "$store" status bench

# Peak memory against file size: the same small tree with one 100 MB file, then one 1 GB file.
for size in 100 1000; do
  tree=$work/mem-$size
  [ -d "$tree" ] || python3 bench/make_env_tree.py "$tree" --scale 0.05 --big-count 1 --big-mb "$size"
  sync
  measure "adopt_${size}MB_file" "rm -rf '$work/mem-store'" "$envpin" --store "$work/mem-store" adopt "$tree" --name mem
done
rm -rf "$work/mem-store"

ratio() { echo "${T[$1]} ${T[$2]}" | awk '{printf "%.2f", $1 / $2}'; }
secs() { printf '%.2f' "${T[$1]}"; }
mb() { echo $(( ${M[$1]} / 1024 )); }
cat <<TABLE

Tree: $files files, $(numfmt --to=iec "$bytes")B; $cores cores; median of $repeat runs, warm page cache.

| operation | time (s) | peak RSS (MB) | ratio |
|---|---:|---:|---|
| \`find \| xargs -P$cores sha256sum\` | $(secs sha256sum) | - | 1.00 |
| \`find \| xargs -P$cores openssl dgst -sha256\` (hashing floor) | $(secs openssl) | - | $(ratio sha256sum openssl)× faster than sha256sum |
| \`cp -a\` | $(secs cp_a) | - | |
| \`cp -a && sync\` | $(secs cp_a_sync) | - | |
| \`envpin adopt\` (link mode auto: $mode) | $(secs adopt) | $(mb adopt) | **$(ratio sha256sum adopt)× faster than sha256sum**; $(ratio adopt openssl)× the openssl floor |
| \`envpin adopt --link-mode copy\` | $(secs adopt_copy) | $(mb adopt_copy) | sha256sum / this = $(ratio sha256sum adopt_copy); $(ratio cp_a_sync adopt_copy)× faster than \`cp -a && sync\` |
| \`find -printf\` stat walk | $(secs stat_walk) | - | 1.00 |
| \`envpin snapshot\` (unchanged) | $(secs snapshot_unchanged) | $(mb snapshot_unchanged) | $(ratio snapshot_unchanged stat_walk)× the stat walk |
| \`envpin status\` (unchanged) | $(secs status_unchanged) | $(mb status_unchanged) | $(ratio status_unchanged stat_walk)× the stat walk |
| \`envpin adopt\`, small tree + one 100 MB file | $(secs adopt_100MB_file) | $(mb adopt_100MB_file) | |
| \`envpin adopt\`, small tree + one 1 GB file | $(secs adopt_1000MB_file) | $(mb adopt_1000MB_file) | |
TABLE
