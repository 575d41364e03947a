#!/usr/bin/env bash
# envpin's quickstart: the whole loop on real files, offline, on any Linux machine (no GPU, no
# network). It builds a small wheelhouse (tinyops 1.0.0, which works, and 2.0.0, which breaks on
# import the way a wheel built for a newer CUDA does), creates an environment with it, proves it,
# breaks it with an ordinary upgrade and puts it back with `envpin reset`.
#
# Everything happens in a temporary directory with its own store (ENVPIN_HOME), so your own
# environments and store are never touched; it is removed at the end.
#
#   examples/quickstart.sh                        uses build/release/envpin (scripts/setup.sh)
#   ENVPIN=build/dev/envpin examples/quickstart.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
envpin=$(realpath -m "${ENVPIN:-$here/../build/release/envpin}")
if [ ! -x "$envpin" ]; then
  echo "quickstart: $envpin is not built yet (run scripts/setup.sh)" >&2
  exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/envpin-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ENVPIN_HOME="$work/store"
cd "$work"

# Each step: a comment saying what it shows, then the command as you would type it.
say() { printf '\n'; printf '# %s\n' "$@"; }
run() {
  local shown=() arg
  for arg in "$@"; do [[ $arg == *[[:space:]]* ]] && shown+=("'$arg'") || shown+=("$arg"); done
  printf '$ %s\n' "${shown[*]}"
  "$@"
}
envpin() { "$envpin" "$@"; }
# The environment's own Python, as a user would run it.
try_import() { .venv-demo/bin/python -c 'import tinyops; print("tinyops", tinyops.__version__, "works:", tinyops.axpy(2, [1, 2], [3, 4]))'; }

say "A local wheelhouse: tinyops 1.0.0 and 2.0.0 built from examples/packages with pip wheel (offline)"
run "$here/build-wheelhouse.sh" wheels

say "Create the environment 'demo': a venv at .venv-demo with tinyops 1.0.0 and no torch stack" \
    "(--torch none), every wheel from ./wheels; envpin records its first snapshot, demo@1"
run envpin create demo --torch none --with tinyops==1.0.0 --find-links wheels --offline

say "It works"
printf '$ .venv-demo/bin/python -c "import tinyops; ..."\n'
try_import

say "Prove demo@1 on this machine and record the result (without a GPU the GPU checks skip, saying why)"
run envpin verify demo

say "Upgrade tinyops the way you normally would, with the installer itself"
if command -v uv >/dev/null 2>&1; then
  run uv pip install --quiet --python .venv-demo/bin/python --offline --no-index --find-links wheels tinyops==2.0.0
else
  run python3 -m pip --python .venv-demo/bin/python install --quiet --no-index --find-links wheels tinyops==2.0.0
fi

say "Now the import fails"
printf '$ .venv-demo/bin/python -c "import tinyops; ..."\n'
if try_import 2>"$work/import-error"; then
  echo "quickstart: tinyops 2.0.0 was expected to fail on import" >&2
  exit 1
fi
tail -n 1 "$work/import-error"

say "envpin sees exactly what changed since demo@1"
run envpin status demo

say "Keep this state too (nothing is lost: reset can come back to it)"
run envpin snapshot demo -m "upgrade tinyops to 2.0.0"
run envpin log demo

say "Back to the newest snapshot that passed verify on this machine (demo@1): atomic, offline, byte for byte"
run envpin reset demo

say "Clean again, and the import works"
run envpin status demo --exit-code
printf '$ .venv-demo/bin/python -c "import tinyops; ..."\n'
try_import

say "Done. On a GPU machine with network the same loop holds a real CUDA stack:" \
    "  envpin create train --torch 2.7 --cuda auto; envpin verify train; envpin reset train"
