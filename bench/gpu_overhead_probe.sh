#!/usr/bin/env bash
# Where a short command's wall time goes outside its traced phases, on the GPU machine's real
# environment: process start (the loader), the traced work, printing, exit. Adopts a copy of
# SOURCE_ENV, then times `envpin --version`, an unchanged `status` and one-file resets, each with
# the traced phases and the whole of main() beside the wall time.
#   bench/gpu_overhead_probe.sh ENVPIN OUT_DIR [SOURCE_ENV]
set -uo pipefail
envpin=$(realpath "$1"); out=$(realpath -m "$2"); source_env=${3:-$(python3 -c 'import sys; print(sys.prefix)')}
work=${PROBE_WORK:-/root/envpin-probe}
rm -rf "$work"; mkdir -p "$work" "$out"
exec > >(tee -a "$out/probe.log") 2>&1
site() { echo "$1/lib/$(ls "$1/lib" | grep '^python3' | head -1)/site-packages"; }
wall() { local start=$EPOCHREALTIME; "$@" > /dev/null 2>&1; python3 -c "print(f'{$EPOCHREALTIME - $start:.4f}')"; }
echo "$(nproc) cores; $(findmnt -no FSTYPE -T "$work"); strace: $(command -v strace || echo none); perf: $(command -v perf || echo none)"
cp -a "$source_env" "$work/env"
export ENVPIN_HOME="$work/store"
"$envpin" adopt "$work/env" --name env > /dev/null && "$envpin" recover > /dev/null
sync
echo "== envpin --version, wall (s)"; for _ in 1 2 3 4 5; do wall "$envpin" --version; done
echo "== LD_DEBUG=statistics"; LD_DEBUG=statistics "$envpin" --version 2>&1 | grep -E 'total startup|relocation' | head -4
echo "== status unchanged, wall (s)"; for _ in 1 2 3; do wall "$envpin" status env; done
echo "== one-file reset, wall (s)"
py=$(find "$(site "$work/env")" -name '*.py' | sort | head -500 | tail -1)
for i in 1 2 3; do echo "# $i" >> "$py"; sync; wall "$envpin" reset env env@1 --force; done
traced() {  # traced LABEL CMD...: the trace, then the wall time of the same run
  local label=$1; shift
  local start=$EPOCHREALTIME
  ENVPIN_TRACE=1 "$@" 2> "$work/trace.txt" > /dev/null
  local seconds; seconds=$(python3 -c "print(f'{$EPOCHREALTIME - $start:.4f}')")
  sed "s/^/$label: /" "$work/trace.txt"; echo "$label: wall $seconds s"
}
echo "== traced (the \"main\" span runs from main() to its return)"
traced status "$envpin" status env
for i in 1 2; do echo "# x$i" >> "$py"; sync; traced reset "$envpin" reset env env@1 --force; done
if command -v perf > /dev/null; then
  echo "# y" >> "$py"; sync
  perf stat -e task-clock,page-faults,context-switches,cpu-migrations "$envpin" reset env env@1 --force 2>&1 | tail -12
fi
