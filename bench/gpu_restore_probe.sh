#!/usr/bin/env bash
# Where the time of a whole-tree restore goes on this machine's filesystem. The same directories
# and links made three ways, each after `sync`, in the states a restore meets:
#   - a plain loop (Python os.mkdir, one thread) making the environment's directories, in a
#     fresh place, and again right after the environment was deleted;
#   - `cp -al` of the source environment (every directory made, every file a hard link);
#   - `envpin reset` of the deleted environment (ENVPIN_TRACE=1 shows its phases), twice,
#     each right after a `cp -al` in the same state.
# Writes OUT_DIR/restore.log and OUT_DIR/restore-summary.txt.
#   bench/gpu_restore_probe.sh ENVPIN OUT_DIR [SOURCE_ENV]
set -uo pipefail
envpin=$(realpath "$1"); out=$(realpath -m "$2"); source_env=${3:-$(python3 -c 'import sys; print(sys.prefix)')}
work=${PROBE_WORK:-/root/envpin-restore}
rm -rf "$work"; mkdir -p "$work" "$out"
exec > >(tee -a "$out/restore.log") 2>&1
summary="$out/restore-summary.txt"; : > "$summary"
timed() {
  local label=$1; shift
  sync
  local start=$EPOCHREALTIME
  "$@"; local rc=$?
  printf '%-52s %8s s  rc=%s\n' "$label" "$(python3 -c "print(f'{$EPOCHREALTIME - $start:.3f}')")" "$rc" | tee -a "$summary"
}
mkdirs() {  # mkdirs ROOT: the environment's directories under ROOT, one os.mkdir each
  python3 -c '
import os, sys
root = sys.argv[1]
for line in open(sys.argv[2]):
    os.mkdir(os.path.join(root, line.rstrip("\n")))
' "$1" "$work/dirs.txt"
}
export ENVPIN_HOME="$work/store"
cp -a "$source_env" "$work/env"
(cd "$work/env" && find . -mindepth 1 -type d | sed 's|^\./||' | sort) > "$work/dirs.txt"
echo "$(wc -l < "$work/dirs.txt") directories; $(df -T "$work" | tail -1)" | tee -a "$summary"
"$envpin" adopt "$work/env" --name env > /dev/null && "$envpin" recover > /dev/null
mkdir "$work/m1"; timed "mkdir loop, fresh place" mkdirs "$work/m1"
rm -rf "$work/m1"
rm -rf "$work/env"; sync
mkdir "$work/m2"; timed "mkdir loop, right after the environment was deleted" mkdirs "$work/m2"
timed "cp -al of the source" cp -al "$source_env" "$work/linked1"
rm -rf "$work/m2" "$work/linked1"; sync
timed "envpin reset, whole tree gone (round 1)" env ENVPIN_TRACE=1 "$envpin" reset env env@1 --force
"$envpin" recover > /dev/null
for round in 2 3; do
  rm -rf "$work/env"; sync
  timed "cp -al of the source (round $round)" cp -al "$source_env" "$work/linked$round"
  rm -rf "$work/linked$round"; sync
  timed "envpin reset, whole tree gone (round $round)" env ENVPIN_TRACE=1 "$envpin" reset env env@1 --force
  "$envpin" recover > /dev/null
done
mkdir "$work/m3"; timed "mkdir loop, fresh place, at the end" mkdirs "$work/m3"
rm -rf "$work"
