#!/usr/bin/env bash
# The background copy (detach) after an adopt in the default link mode, against the disk's floor,
# at several copy counts taking turns: each round removes the last store, syncs, takes its own
# `dd` floor, then times adopt until it returns and until `envpin recover` says every object has
# its own inode. The adopt starts no background copy (ENVPIN_NO_BACKGROUND=1): the `recover`
# right after it does the same work in the foreground, so that its phases can be traced.
#   bench/detach_rounds.sh ENVPIN OUT_DIR [SOURCE_ENV]
# ROUNDS="4 0 4 0" (ENVPIN_DETACH_THREADS per round; 0 = one per core).
set -uo pipefail
envpin=$(realpath "$1"); out=$(realpath -m "$2"); source_env=${3:-$(python3 -c 'import sys; print(sys.prefix)')}
work=${DETACH_WORK:-/root/envpin-detach}
rm -rf "$work"; mkdir -p "$work" "$out"
exec > >(tee -a "$out/detach.log") 2>&1
now() { echo "$EPOCHREALTIME"; }
since() { python3 -c "print(f'{$(now) - $1:.3f}')"; }
find "$source_env" -type f -print0 | xargs -0 -P"$(nproc)" cat > /dev/null
cp -a "$source_env" "$work/env"; sync
bytes=$(du -sb "$work/env" | cut -f1)
echo "$(nproc) cores; $(findmnt -no FSTYPE,OPTIONS -T "$work"); tree $bytes bytes"
export ENVPIN_HOME="$work/store"
printf '%-8s %8s %8s %8s %8s %8s %6s\n' threads dd_tree floor returns durable window ratio
for threads in ${ROUNDS:-4 0 4 0}; do
  rm -rf "$ENVPIN_HOME"; sync
  # The floor: as many bytes as the tree, written and synced (a virtual disk takes a few GB at a
  # rate it does not keep up: a 4 GiB dd ran 1.5x as fast as `cp -a && sync` of the 7.5 GB tree).
  count=$(( (bytes + (64 << 20) - 1) / (64 << 20) ))
  start=$(now); dd if=/dev/zero of="$work/dd" bs=64M count=$count conv=fdatasync status=none; dd_s=$(since "$start")
  rm -f "$work/dd"; sync
  floor=$(python3 -c "print(f'{$dd_s * $bytes / ($count * 64 * 2**20):.3f}')")
  # CP_ROUNDS=1: `cp -a && sync` of the same tree in the same state, right before the adopt.
  if [ -n "${CP_ROUNDS:-}" ]; then
    start=$(now); cp -a "$work/env" "$work/copy" && sync; echo "round $threads: cp -a && sync $(since "$start") s" >> "$work/phases.txt"
    rm -rf "$work/copy"; sync
  fi
  start=$(now)
  ENVPIN_NO_BACKGROUND=1 "$envpin" adopt "$work/env" --name env > /dev/null
  returned=$(since "$start")
  ENVPIN_TRACE=1 ENVPIN_DETACH_THREADS=$threads "$envpin" recover 2> "$work/trace.txt" > /dev/null
  durable=$(since "$start")
  grep -E 'detach:|spare directories| main ' "$work/trace.txt" | sed "s/^envpin trace:/  ($threads)/" >> "$work/phases.txt"
  window=$("$envpin" status env --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin)["detach"]; print(format(d["window_s"], ".3f") if d else "-")')
  printf '%-8s %8s %8s %8s %8s %8s %6s\n' "$threads" "$dd_s" "$floor" "$returned" "$durable" "$window" \
    "$(python3 -c "print(f'{$durable / $floor:.2f}')")"
done
echo "phases of each round's recover:"; cat "$work/phases.txt"
rm -rf "$work"
