#!/usr/bin/env bash
# The GPU machine drill: adopt copies of the machine's real PyTorch environment, prove them with
# the verify suite, break them one fault at a time (each verify must fail the right check with
# the right hint), reset, prove again; and time adopt/status/reset against cp, sha256sum,
# openssl and uv on the same tree in the same run.
#   bench/gpu_drill.sh ENVPIN OUT_DIR [SOURCE_ENV]
# Writes OUT_DIR/drill.log (everything), OUT_DIR/summary.txt (timings and fault table) and
# OUT_DIR/verify-*.json. Needs: the source venv (default: python3's), uv, python3.
set -uo pipefail
envpin=$(realpath "$1"); out=$(realpath -m "$2"); source_env=${3:-$(python3 -c 'import sys; print(sys.prefix)')}
work=${DRILL_WORK:-/root/envpin-drill}
rm -rf "$work"; mkdir -p "$work" "$out"
exec > >(tee -a "$out/drill.log") 2>&1
summary="$out/summary.txt"; : > "$summary"
site() { echo "$1/lib/$(ls "$1/lib" | grep '^python3' | head -1)/site-packages"; }
# timed LABEL CMD...: runs CMD, records "LABEL seconds rc" in the summary.
timed() {
  local label=$1; shift
  sync  # no earlier writeback in the measured time (cp -a leaves gigabytes dirty)
  local start=$EPOCHREALTIME
  "$@"; local rc=$?
  local seconds; seconds=$(python3 -c "print(f'{$EPOCHREALTIME - $start:.3f}')")
  printf '%-44s %8s s  rc=%s\n' "$label" "$seconds" "$rc" | tee -a "$summary"
  return $rc
}
files=$(find "$source_env" -type f | wc -l); bytes=$(du -sb "$source_env" | cut -f1)
echo "source $source_env: $files files, $bytes bytes; $(nproc) cores; $(uv --version)" | tee -a "$summary"

parts=${DRILL_PARTS:-bench create faults}  # drill: adopt and verify a copy only; create: `envpin create` from the wheels rebuilt from SOURCE_ENV, then verify; trust: the host-caused failure, a write in place, a deleted environment
# make_wheelhouse: every distribution of SOURCE_ENV as a wheel in $work/wheels (once).
make_wheelhouse() {
  [ -d "$work/wheels" ] && return 0
  timed "rebuild wheels from the environment" python3 "$(dirname "$0")/wheels_from_env.py" "$source_env" "$work/wheels" > /dev/null
}  # bench: timings; faults: the fault drill; shadow: only the LD_LIBRARY_PATH fault
has() { [[ " $parts " == *" $1 "* ]]; }
# DRILL_QUICK=1 (for a short device budget): one adopt round, no floors of other link modes, no
# second copy for the fault drill, and none of the baselines that only the adopt figures use.
quick() { [ -n "${DRILL_QUICK:-}" ]; }
echo "== warm the page cache and copy the environment"
find "$source_env" -type f -print0 | xargs -0 -P"$(nproc)" cat > /dev/null
timed "cp -a (warm)" cp -a "$source_env" "$work/bench"
timed "cp -al" cp -al "$work/bench" "$work/bench-links"; rm -rf "$work/bench-links"
quick || cp -a "$source_env" "$work/drill"
if has bench; then
timed "find -printf (stat walk)" sh -c "find '$work/bench' -printf '%s %T@ %i\n' > /dev/null"
quick || timed "parallel openssl dgst -sha256" sh -c "find '$work/bench' -type f -print0 | xargs -0 -P$(nproc) -n 200 openssl dgst -sha256 > /dev/null"

echo "== the disk's floor: write bandwidth, a durable copy"
quick || timed "dd 4 GiB conv=fdatasync (disk write bandwidth)" dd if=/dev/zero of="$work/dd" bs=64M count=64 conv=fdatasync status=none
rm -f "$work/dd"
quick || timed "cp -a && sync" sh -c "cp -a '$work/bench' '$work/bench-copy' && sync"
rm -rf "$work/bench-copy"

echo "== store benchmark (default link mode: reflink, else link now and copy in the background)"
export ENVPIN_HOME="$work/store-bench" ENVPIN_TRACE=1
# detach_window: the newest detach's measured window (link to synced copy), from status --json.
detach_window() { "$envpin" status bench --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin)["detach"]; print("detach window", d and d.get("window_s"), "s, copied", d and d.get("copied_bytes"), "bytes")' | tee -a "$summary"; }
# Two rounds, each parallel sha256sum then adopt into a fresh store, returning and then durable
# (`envpin recover` waits for the background copy); the pairs' ratios, not one lucky run.
for round in $(quick && echo 1 || echo 1 2); do
  # The last round's store goes first, so that the floor is taken in the state the adopt meets:
  # round 2 follows the removal of round 1's 7.5 GB store, and its background copy ran at
  # about half speed in four of five runs while a `dd` taken before that removal did not.
  rm -rf "$ENVPIN_HOME"; sync
  # The disk's bandwidth now (a virtual disk's varies with what was written before): this
  # round's floor.
  timed "dd 4 GiB conv=fdatasync (round $round floor)" dd if=/dev/zero of="$work/dd" bs=64M count=64 conv=fdatasync status=none
  rm -f "$work/dd"; sync
  timed "parallel sha256sum (round $round)" sh -c "find '$work/bench' -type f -print0 | xargs -0 -P$(nproc) -n 200 sha256sum > /dev/null"
  # Until durable runs from adopt's start to the end of `envpin recover` with no sync between:
  # timed's own sync would let the background copy go on outside the measured time.
  adopt_start=$EPOCHREALTIME
  "$envpin" adopt "$work/bench" --name bench
  returned=$EPOCHREALTIME
  "$envpin" recover
  python3 -c "print(f'{\"envpin adopt, returns (round $round)\":<44} {$returned - $adopt_start:8.3f} s'); print(f'{\"envpin adopt, until durable (round $round)\":<44} {$EPOCHREALTIME - $adopt_start:8.3f} s')" | tee -a "$summary"
  detach_window
done
rm -rf "$work/store-floor"
if ! quick; then
timed "envpin adopt --link-mode hardlink (hashing, no bytes)" "$envpin" --store "$work/store-floor" adopt "$work/bench" --name floor --link-mode hardlink
rm -rf "$work/store-floor"
timed "envpin adopt --link-mode copy" "$envpin" --store "$work/store-floor" adopt "$work/bench" --name floor --link-mode copy
rm -rf "$work/store-floor"
fi
timed "envpin snapshot (unchanged)" "$envpin" snapshot bench
timed "envpin status (unchanged)" "$envpin" status bench --exit-code
timed "find -printf (stat walk, again)" sh -c "find '$work/bench' -printf '%s %T@ %i\n' > /dev/null"
echo "print('one new module')" > "$(site "$work/bench")/torch/envpin_bench_added.py"
timed "envpin snapshot (one file added)" "$envpin" snapshot bench
rm "$(site "$work/bench")/torch/envpin_bench_added.py"
timed "envpin snapshot (back to @1's files)" "$envpin" snapshot bench
"$envpin" recover
# One file written in place (after the detach: the store is not touched), then back.
: > "$(site "$work/bench")/torch/nn/modules/linear.py"
# The host fingerprint: probed (a GPU child) and kept, then read back.
rm -rf "$ENVPIN_HOME/cache"
timed "envpin log (host probed, fingerprint kept)" "$envpin" log bench -n 1 > /dev/null
timed "envpin log (fingerprint read back)" "$envpin" log bench -n 1 > /dev/null
timed "envpin reset: one file -> @1" "$envpin" reset bench bench@1 --force
for i in 1 2 3; do
  : > "$(site "$work/bench")/torch/nn/modules/linear.py"
  timed "envpin reset: one file -> @1 (again $i)" "$envpin" reset bench bench@1 --force > /dev/null
done
: > "$(site "$work/bench")/torch/nn/modules/linear.py"; sync
"$envpin" reset bench bench@1 --force 2>&1 | grep 'envpin trace' | grep -v '|' | sed 's/^/  one-file trace: /' | tee -a "$summary"
timed "envpin status after reset" "$envpin" status bench --exit-code
timed "envpin recover (copy of what reset linked)" "$envpin" recover
torch_dir="$(site "$work/bench")/torch"
echo "torch package: $(find "$torch_dir" -type f | wc -l) files, $(du -sh "$torch_dir" | cut -f1)" | tee -a "$summary"
rm -rf "$torch_dir" "$(site "$work/bench")"/torch-*.dist-info
timed "envpin reset: torch removed -> @1" "$envpin" reset bench bench@1 --force
timed "envpin status after reset" "$envpin" status bench --exit-code
timed "envpin recover (copy of what reset linked)" "$envpin" recover
detach_window
timed "envpin status after the copy" "$envpin" status bench --exit-code
# uv's warm hardlink install of the whole environment beside the whole-tree reset, in both
# orders (what making ~7,900 directories costs on ext4 depends on what ran before).
make_wheelhouse
uv_whole() {
  rm -rf "$work/uvenv"; uv venv -q "$work/uvenv" --python "$source_env/bin/python"; sync
  timed "uv install whole env (warm cache, hardlink) $1" uv pip install -q --python "$work/uvenv/bin/python" --offline --no-index \
    --find-links "$work/wheels" --no-deps --link-mode hardlink -r "$work/requirements.txt"
  rm -rf "$work/uvenv"
}
export UV_CACHE_DIR="$work/uv-cache"
python3 -c 'import os,sys; print("\n".join(sorted(n.split("-")[0] for n in os.listdir(sys.argv[1]))))' "$work/wheels" > "$work/requirements.txt"
rm -rf "$work/uvenv"; uv venv -q "$work/uvenv" --python "$source_env/bin/python"
timed "uv install whole env (cold cache: fills it)" uv pip install -q --python "$work/uvenv/bin/python" --offline --no-index \
  --find-links "$work/wheels" --no-deps --link-mode hardlink -r "$work/requirements.txt"
uv_whole "(before envpin)"
# uv in the state the whole-tree reset meets: right after a tree of the environment's own inodes
# was deleted (ext4 makes new inodes slower while it holds recently freed ones).
cp -a "$work/bench" "$work/bench-twin"; sync; rm -rf "$work/bench-twin"
uv_whole "(right after rm -rf of a copy of the environment)"
rm -rf "$work/bench"
timed "envpin reset: whole tree gone -> @1" "$envpin" reset bench bench@1 --force
uv_whole "(after envpin)"
"$envpin" recover
rm -rf "$work/bench"; sync
timed "envpin reset: whole tree gone -> @1 (again, traced)" sh -c "'$envpin' reset bench bench@1 --force 2>&1 | grep 'envpin trace' | grep -v '|' | sed 's/^/  whole-tree trace: /' | tee -a '$summary'"
uv_whole "(after envpin, again)"
timed "envpin status after full reset" "$envpin" status bench --exit-code
timed "envpin recover (copy of what reset linked)" "$envpin" recover  # no background copy beside uv below
detach_window
quick || timed "envpin fsck" "$envpin" fsck
"$work/bench/bin/python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
rm -rf "$work/bench" "$work/store-bench"  # disk: the GPU machine has 64 GB

echo "== uv on the same environment, side by side: the whole environment and torch alone"
export UV_CACHE_DIR="$work/uv-cache"
make_wheelhouse
python3 -c 'import os,sys; print("\n".join(sorted(n.split("-")[0] for n in os.listdir(sys.argv[1]))))' "$work/wheels" > "$work/requirements.txt"
uv_install() { uv pip install -q --python "$work/uvenv/bin/python" --offline --no-index --find-links "$work/wheels" --no-deps "$@"; }
fresh_uvenv() { rm -rf "$work/uvenv"; uv venv -q "$work/uvenv" --python "$source_env/bin/python"; }
fresh_uvenv
timed "uv install whole env (cold cache)" uv_install --link-mode hardlink -r "$work/requirements.txt"
quick || { fresh_uvenv; timed "uv install whole env (warm cache, copy)" uv_install --link-mode copy -r "$work/requirements.txt"; }
fresh_uvenv
timed "uv install whole env (warm cache, hardlink)" uv_install --link-mode hardlink -r "$work/requirements.txt"
timed "uv reinstall torch (warm cache, hardlink)" uv_install --reinstall --link-mode hardlink torch
rm -rf "$(site "$work/uvenv")/torch" "$(site "$work/uvenv")"/torch-*.dist-info
timed "uv: torch removed -> install (warm, hardlink)" uv_install --link-mode hardlink torch
rm -rf "$work/uvenv"
unset ENVPIN_TRACE
fi

if has create; then
echo "== envpin create: the torch stack of SOURCE_ENV, offline from its rebuilt wheels"
export UV_CACHE_DIR="$work/uv-cache" ENVPIN_HOME="$work/store"
make_wheelhouse
python_version=$("$source_env/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
torch_version=$("$source_env/bin/python" -c 'import importlib.metadata as m; print(m.version("torch").split("+")[0])')
timed "envpin create (torch $torch_version, offline, uv)" "$envpin" create gpu --torch "$torch_version" --python "$python_version" \
  --find-links "$work/wheels" --offline --path "$work/created" --lock "$work/envpin.lock"
sed -n '/^\[stack\]/,/^$/p' "$work/envpin.lock" | tee -a "$summary"
timed "verify the created environment" "$envpin" verify gpu --color never
"$envpin" log gpu | tee -a "$summary"
fi

has faults || has shadow || has drill || has trust || { echo "== done"; cat "$summary"; exit 0; }
echo "== the drill: adopt in the default mode, verify, faults"
export ENVPIN_HOME="$work/store"
timed "envpin adopt (default)" "$envpin" adopt "$work/drill" --name torch
timed "envpin recover (objects independent before the faults write in place)" "$envpin" recover
timed "verify (first: builds the training probe)" "$envpin" verify torch --json > "$out/verify-first.json"
timed "verify (warm)" "$envpin" verify torch --color never
cp "$out/verify-first.json" /dev/null
# fault NAME [PREFIX...]: runs PREFIX (a command that breaks something, or `env VAR=...`)
# before `envpin verify torch --json $VERIFY_ARGS`; verify must fail naming the cause.
fault() {
  local name=$1; shift
  if [ $# -gt 0 ] && [ "$1" != env ]; then "$@"; set --; fi
  "$@" "$envpin" verify torch --json ${VERIFY_ARGS:-} > "$work/fault.json"; local rc=$?
  python3 - "$name" "$rc" "$work/fault.json" <<'PY' | tee -a "$summary"
import json, sys
name, rc, path = sys.argv[1], sys.argv[2], sys.argv[3]
report = json.load(open(path))
bad = [c for c in report["checks"] if c["status"] in ("fail", "error")]
print(f"FAULT {name}: verify exit {rc}, status {report['status']}")
for c in bad:
    print(f"   {c['name']} {c['status']}: {c['detail'][:240]}")
    print(f"      hint: {c['hint'][:300]}")
PY
  cat "$work/fault.json" >> "$out/verify-faults.jsonl"
}
prove_again() {
  "$envpin" verify torch --color never > "$work/after.txt"; local rc=$?
  echo "  verify again: exit $rc ($(grep '^verify:' "$work/after.txt"))" | tee -a "$summary"
}
recover_and_prove() {
  timed "  reset after $1" "$envpin" reset torch
  prove_again
}
sp=$(site "$work/drill")
if has faults; then
fault "libnccl removed" rm "$sp/nvidia/nccl/lib/libnccl.so.2"
recover_and_prove "libnccl removed"
fi
if has faults || has shadow; then
mkdir -p "$work/shadow"; cp "$sp/nvidia/cudnn/lib/libcudnn.so.9" "$work/shadow/"; printf 'x' >> "$work/shadow/libcudnn.so.9"
fault "libcudnn shadowed by LD_LIBRARY_PATH" env LD_LIBRARY_PATH="$work/shadow${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
prove_again
fi
if has faults; then
python3 - "$sp/torch/lib/libtorch_cuda.so" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(0); b = f.read(1); f.seek(0); f.write(bytes([b[0] ^ 0xFF]))
print("flipped byte 0 of", sys.argv[1])
PY
fault "a byte of libtorch_cuda.so flipped"
recover_and_prove "the corrupted library"
VERIFY_ARGS="--set train_learning_rate=1e9" fault "training diverges (NaN)"
prove_again
VERIFY_ARGS="--set torch_arch_list=sm_80" fault "torch build with sm_80 kernels only, on this GPU"
prove_again
fi
if has faults || has trust; then
# The host, not the bytes: the pass of the same bytes stays, and reset still finds it.
fault "CUDA_VISIBLE_DEVICES= (the host, not the bytes)" env CUDA_VISIBLE_DEVICES=
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  passed_before:", json.dumps(r.get("passed_before")))' "$work/fault.json" | tee -a "$summary"
"$envpin" log torch | head -3 | tee -a "$summary"
# A write in place into the environment after the detach: the store is untouched.
: > "$sp/torch/nn/modules/linear.py"
fault "torch/nn/modules/linear.py truncated in place"
"$envpin" fsck | tail -1 | tee -a "$summary"
recover_and_prove "linear.py truncated in place"
rm -rf "$work/drill"
timed "  reset after the environment was deleted" "$envpin" reset torch
prove_again
timed "  recover (the restored files' objects copied)" "$envpin" recover
rm -rf "$work/drill"
timed "  reset after the environment was deleted (again)" "$envpin" reset torch
"$envpin" status torch --exit-code | head -2 | tee -a "$summary"
"$envpin" recover
# A store object changed under its name (one byte flipped, its mtime put back): reset refuses to
# put it in place and names it with the snapshots that use it.
object=$(python3 -c 'import hashlib,sys; h=hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest(); print(h[:2]+"/"+h[2:])' "$sp/torch/nn/modules/conv.py")
python3 - "$ENVPIN_HOME/objects/$object" <<'PY'
import os, sys
path = sys.argv[1]; st = os.stat(path); os.chmod(path, 0o644)
with open(path, "r+b") as f:
    b = f.read(1); f.seek(0); f.write(bytes([b[0] ^ 0x20]))
os.chmod(path, st.st_mode & 0o7777); os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
print("flipped byte 0 of store object", path)
PY
rm "$sp/torch/nn/modules/conv.py"
"$envpin" reset torch torch@1 --force 2>&1 | tail -1 | cut -c1-400 | tee -a "$summary"; echo "  reset exit ${PIPESTATUS[0]}" | tee -a "$summary"
"$envpin" fsck | tail -2 | tee -a "$summary"
# The database deleted: every command refuses; fsck --rebuild-database brings the snapshots back.
rm -f "$ENVPIN_HOME"/envpin.db*
"$envpin" status torch 2>&1 | cut -c1-200 | tee -a "$summary"
timed "  fsck --rebuild-database" "$envpin" fsck --rebuild-database | head -3 | tee -a "$summary"
fi
"$envpin" log torch | tee -a "$summary"
"$envpin" fsck | tail -2 | tee -a "$summary"
echo "== done"; cat "$summary"
