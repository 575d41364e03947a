#!/usr/bin/env bash
# Builds envpin's fuzz targets (fuzz/targets.cpp) with clang's libFuzzer, ASan and UBSan, and runs
# each for SECONDS (default 60) from its corpus in fuzz/corpus/<target>/:
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# A finding (crash, sanitizer report, broken invariant) stops that target and leaves its input as
# build/fuzz/crash-*; fix it and copy the input into fuzz/corpus/<target>/, where the unit test
# FuzzCorpus replays it from then on. New inputs the fuzzer finds go to build/fuzz/corpus/<target>.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(version specifier marker requirement lock spec manifest metadata)
out=build/fuzz; mkdir -p "$out"
clang=$(command -v clang++-19 || true)
[ -n "$clang" ] || { echo "fuzz: clang++-19 is needed (apt-get install clang-19 libclang-rt-19-dev): older clangs cannot compile std::expected" >&2; exit 2; }
[ -f build/release/resolver/catalog_embed.cpp ] || { echo "fuzz: build the release preset first (the embedded catalog)" >&2; exit 2; }
sources=(fuzz/targets.cpp fuzz/libfuzzer_main.cpp base/*.cpp resolver/*.cpp build/release/resolver/catalog_embed.cpp
         store/core/manifest.cpp store/core/manifest_text.cpp store/core/manifest_shards.cpp store/core/parallel.cpp
         store/core/digest.cpp store/lifecycle/dist_info.cpp sys/file.cpp sys/mapped_read.cpp)
binary=$out/envpin_fuzz
if [ ! -x "$binary" ] || [ -n "$(find "${sources[@]}" fuzz resolver store/core sys base -newer "$binary" -print -quit)" ]; then
  echo "fuzz: building $binary"
  # -DNDEBUG as in the builds users run: toml++'s internal assertions (which its own error
  # handling makes redundant there) are not what is fuzzed; ASan and UBSan stay on.
  "$clang" -std=c++2b -O1 -g -DNDEBUG -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -w -I. -Ibuild/release \
    -DENVPIN_CATALOG_PATH="\"$PWD/catalog/catalog.toml\"" "${sources[@]}" -o "$binary" -lfmt -lcrypto -lpthread
fi
status=0
for target in "${targets[@]}"; do
  mkdir -p "$out/corpus/$target"
  echo "== $target ($seconds s)"
  ENVPIN_FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -artifact_prefix="$out/" -print_final_stats=1 \
    "$out/corpus/$target" "fuzz/corpus/$target" 2>&1 | grep -E "^#[0-9]+ *DONE|stat::number_of_executed_units|ERROR|SUMMARY|invariant|artifact" || true
  [ -z "$(ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* 2>/dev/null)" ] || status=1
done
exit $status
