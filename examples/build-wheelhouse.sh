#!/usr/bin/env bash
# Builds the example packages under examples/packages/ into a wheelhouse directory with
# `pip wheel` (offline: no build isolation, no index). Sources are copied first so the
# checkout stays clean.   examples/build-wheelhouse.sh OUT_DIR
set -euo pipefail
out=$(realpath -m "${1:?usage: build-wheelhouse.sh OUT_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
for package in "$here"/packages/*/; do
  cp -r "$package" "$work/"
  python3 -m pip wheel -q --no-deps --no-build-isolation --no-index -w "$out" "$work/$(basename "$package")"
done
ls "$out"
