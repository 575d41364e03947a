#pragma once
// Fuzz targets for envpin's parsers of untrusted text: PEP 440 versions and specifiers, PEP 508
// markers and requirement lines, envpin.lock and envpin.toml, the store's manifest (file list and
// distributions), and a wheel's METADATA. Each target parses the input and, when it parses,
// checks what must hold of the result (printing it again parses to the same value); a broken
// invariant aborts, which is a finding. scripts/fuzz.sh runs them under libFuzzer with ASan and
// UBSan; fuzz/replay.cpp replays the corpus in fuzz/corpus/ as a test.
#include <string_view>
#include <vector>

namespace envpin::fuzz {

// The target names, each the name of its corpus folder.
[[nodiscard]] const std::vector<std::string_view>& targets();

// Runs one target on one input; false when `target` is unknown.
bool run_target(std::string_view target, std::string_view input);

}  // namespace envpin::fuzz
