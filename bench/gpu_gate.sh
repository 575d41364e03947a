#!/usr/bin/env bash
# `envpin gate` on the GPU machine's real PyTorch environment, as CI would run it: the
# environment adopted, an envpin.toml asking for its torch release with two targets (this kind
# of GPU host, and CPU runners), one lock for both, then
#   0. `lock --check` on this host (the same answer as where it was made), and the gate forced
#      onto the CPU runners' target: it stops at `environment` (a CUDA build installed);
#   1. a gate that finds no pass and runs verify (the full suite on the GPU): passes;
#   2. the same gate again: finds the recorded pass, runs nothing;
#   3. one torch source file truncated and snapshotted (new bytes, never verified): the gate runs
#      verify, which fails, and stops at `verified`;
#   4. `envpin reset` to the verified snapshot, and the gate passes again without verify.
# Writes OUT_DIR/gate-*.xml (JUnit), gate-*.json and gate.log.
#   bench/gpu_gate.sh ENVPIN OUT_DIR [SOURCE_ENV]
set -uo pipefail
envpin=$(realpath "$1"); out=$(realpath -m "$2"); env=${3:-$(python3 -c 'import sys; print(sys.prefix)')}
work=${GATE_WORK:-/root/envpin-gate}
rm -rf "$work"; mkdir -p "$work/project" "$out"
exec > >(tee -a "$out/gate.log") 2>&1
export ENVPIN_HOME="$work/store"
python=$("$env/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
torch=$("$env/bin/python" -c 'import importlib.metadata as m; print(m.version("torch"))')
echo "environment $env: torch $torch, Python $python"

step() { echo; echo "== $*"; }
# gate NAME [ARGS...]: the gate with JUnit and JSON kept as OUT_DIR/gate-NAME.*; prints its exit code.
gate() {
  local name=$1; shift
  (cd "$work/project" && "$envpin" gate --junit "$out/gate-$name.xml" "$@")
  echo "exit code $?"
  (cd "$work/project" && "$envpin" gate --no-verify --json "$@" > "$out/gate-$name.json" 2>/dev/null)
}

step "adopt the environment, write envpin.toml with two targets, lock them"
"$envpin" adopt "$env" --name train
facts=$("$envpin" host --json)
driver=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["driver"])' "$facts")
cc=$(python3 -c 'import json,sys; g=json.loads(sys.argv[1])["gpus"][0]; print("sm_" + g["cc"].replace(".", ""))' "$facts")
cat > "$work/project/envpin.toml" <<EOF
[environment]
name = "train"
path = "$env"
torch = "==${torch%%+*}"
python = "$python"
cuda = "auto"

[[target]]
name = "gpu-hosts"
driver = ">=$driver"
gpus = ["$cc"]

[[target]]
name = "ci-cpu"
cuda = "cpu"
EOF
cat "$work/project/envpin.toml"
(cd "$work/project" && "$envpin" lock --stack-only && cat envpin.lock)  # no network here: the stacks alone

step "0. lock --check here, and the gate forced onto the CPU runners' target"
(cd "$work/project" && "$envpin" lock --check; echo "exit code $?")
gate cpu-target --target ci-cpu --no-verify

step "1. no pass recorded: the gate runs verify"
gate pass
step "2. again: the pass is recorded"
gate again
step "3. linear.py truncated and snapshotted: new bytes, verify runs and fails"
linear=$(ls -d "$env"/lib/python3*/site-packages/torch/nn/modules/linear.py)
cp "$linear" "$work/linear.py.orig"
: > "$linear"
"$envpin" snapshot train -m "linear.py truncated"
gate fail
step "4. reset to the verified snapshot; the gate passes without verify"
"$envpin" reset train --force
"$envpin" recover
cmp "$linear" "$work/linear.py.orig" && echo "linear.py restored byte for byte"
gate after-reset --no-verify
"$envpin" log train
