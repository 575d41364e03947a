#!/usr/bin/env bash
# Two envpin builds side by side on copies of one tree, round by round in turn (so that both
# meet the same machine state), each with a store of its own, in the default link mode:
#   one file written in place -> reset to @1 (after the background copy: the store is not touched)
#   the whole tree deleted     -> reset to @1 (its spare directories made first by recover)
#   status right after that reset
# Prints the median of each (seconds) per build.
#   bench/reset_ab.sh OLD_ENVPIN NEW_ENVPIN TREE [ROUNDS] [WORK]
# TREE: any environment-shaped tree (bench/make_env_tree.py makes one).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 OLD_ENVPIN NEW_ENVPIN TREE [ROUNDS] [WORK]" >&2; exit 2; }
old=$(realpath "$1"); new=$(realpath "$2"); tree=$(realpath "$3"); rounds=${4:-5}; work=${5:-/tmp/envpin-reset-ab}
rm -rf "$work"; mkdir -p "$work"
declare -A builds=([old]=$old [new]=$new)
seconds() { local start=$EPOCHREALTIME; "$@" > /dev/null 2>&1; python3 -c "print(f'{$EPOCHREALTIME - $start:.4f}')"; }
for name in old new; do
  cp -a "$tree" "$work/env-$name"
  ENVPIN_HOME="$work/store-$name" "${builds[$name]}" adopt "$work/env-$name" --name env > /dev/null
  ENVPIN_HOME="$work/store-$name" "${builds[$name]}" recover > /dev/null
done
file=$(cd "$tree" && find . -name '*.py' | sort | sed -n 500p)
for round in $(seq "$rounds"); do
  for name in old new; do
    export ENVPIN_HOME="$work/store-$name"; envpin=${builds[$name]}; env="$work/env-$name"
    echo "# round $round" >> "$env/$file"; sync
    echo "$name one-file $(seconds "$envpin" reset env env@1 --force)" >> "$work/times"
    "$envpin" recover > /dev/null
    rm -rf "$env"; sync
    echo "$name whole-tree $(seconds "$envpin" reset env env@1 --force)" >> "$work/times"
    echo "$name status-after $(seconds "$envpin" status env)" >> "$work/times"
    "$envpin" recover > /dev/null
  done
done
python3 - "$work/times" <<'EOF'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    name, what, value = line.split()
    times.setdefault((what, name), []).append(float(value))
for what in ("one-file", "whole-tree", "status-after"):
    print(f"{what:14} old {statistics.median(times[(what, 'old')]):.3f} s  new {statistics.median(times[(what, 'new')]):.3f} s"
          f"  (runs: old {' '.join(f'{v:.3f}' for v in times[(what, 'old')])}; new {' '.join(f'{v:.3f}' for v in times[(what, 'new')])})")
EOF
