#!/usr/bin/env bash
# Installs everything envpin needs to build and test on Debian 12 (apt packages, uv from PyPI),
# then configures and builds the release preset into build/release/.
# Safe to run again: installed packages are skipped and the build is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git ca-certificates
  python3 python3-venv python3-pip
  libcli11-dev libsqlite3-dev libgit2-dev libssl-dev zlib1g-dev libtomlplusplus-dev
  nlohmann-json3-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  # `envpin catalog update` reads the package indexes over HTTP
  libcurl4-openssl-dev
  sqlite3 hyperfine
  # JUnit reports are validated against tests/data/junit.xsd
  libxml2-utils
  # the reflink test mounts a small XFS image (skipped where the machine refuses loop mounts)
  xfsprogs
  # scripts/bundle.sh (binaries carried to the GPU machine)
  patchelf
  # the man page (help2man at build time; tests render it with man) and the Debian package
  # (cpack's dpkg-shlibdeps)
  help2man man-db dpkg-dev
  # verify's CPU tests: the training probe builds against libtorch-dev, the python check
  # imports python3-torch from a venv with system site-packages
  libtorch-dev python3-torch
  # scripts/tidy.sh in CI (clang 14 cannot parse libstdc++'s <expected>; 19 can)
  clang-tidy-19
)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# uv: the preferred installer backend (envpin falls back to `python -m pip` without it).
# wheel + setuptools: `pip wheel` builds the example packages (quickstart, tests) offline.
pip_install() {
  python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}
command -v uv >/dev/null 2>&1 || { echo "setup: installing uv"; pip_install uv; }
python3 -c 'import setuptools, wheel' 2>/dev/null || { echo "setup: installing setuptools, wheel"; pip_install setuptools wheel; }

preset=${ENVPIN_PRESET:-release}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
echo "setup: built build/$preset/envpin"

# ENVPIN_PREFIX=DIR: also install there (bin/envpin, the man page, completions, docs).
if [ -n "${ENVPIN_PREFIX:-}" ]; then
  cmake --install "build/$preset" --prefix "$ENVPIN_PREFIX"
  echo "setup: installed $ENVPIN_PREFIX/bin/envpin"
fi
