#!/usr/bin/env bash
# clang-tidy (.clang-tidy's checks; every finding is an error) on the .cpp files changed between
# BASE and HEAD, in parallel over the machine's cores. Exit 1 on any finding.
#
#   scripts/tidy.sh [BASE]
#
# BASE defaults to HEAD~5: the last 5 commits, what CI looks at on a fresh clone (clang-tidy
# takes about 10 s of CPU per file here; the last 20 commits touch some 90 files, 7 minutes on
# two cores, the last 5 about a dozen). Where the history is shallower than that (a shallow
# clone), every .cpp file is checked. Files outside the
# compilation database (the fuzz targets, built by scripts/fuzz.sh) are skipped. Needs a
# configured and built tree: build/$ENVPIN_PRESET (default release) with compile_commands.json.
set -euo pipefail
cd "$(dirname "$0")/.."
tidy=${CLANG_TIDY:-clang-tidy-19}
build=build/${ENVPIN_PRESET:-release}
command -v "$tidy" >/dev/null || { echo "tidy: $tidy not found (scripts/setup.sh installs it)" >&2; exit 2; }
[ -f "$build/compile_commands.json" ] || { echo "tidy: no $build/compile_commands.json (cmake --preset release)" >&2; exit 2; }

base=${1:-HEAD~5}
if git rev-parse -q --verify "$base^{commit}" >/dev/null; then
  mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" HEAD -- '*.cpp')
  scope="changed since $base"
elif [ -z "${1:-}" ]; then
  mapfile -t changed < <(git ls-files '*.cpp')
  scope="all (history shallower than 5 commits)"
else
  echo "tidy: no commit $base" >&2
  exit 2
fi
mapfile -t files < <(python3 - "$build/compile_commands.json" "${changed[@]}" <<'PY'
import json, os, sys
known = {os.path.realpath(entry["file"]) for entry in json.load(open(sys.argv[1]))}
for path in sys.argv[2:]:
    if os.path.realpath(path) in known:
        print(path)
PY
)
echo "tidy: ${#files[@]} .cpp files, $scope"
((${#files[@]})) || exit 0

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
started=$SECONDS
# One clang-tidy per file; its output kept apart, so that findings print whole.
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -I{} sh -c '"$1" -p "$2" --quiet "$3" >"$4/$(echo "$3" | tr / _).log" 2>&1 || touch "$4/failed"' \
    sh "$tidy" "$build" {} "$logs"
for log in "$logs"/*.log; do
  if grep -qE "(warning|error):" "$log"; then cat "$log"; fi
done
echo "tidy: $((SECONDS - started)) s"
if [ -e "$logs/failed" ]; then
  echo "tidy: findings above" >&2
  exit 1
fi
echo "tidy: clean"
