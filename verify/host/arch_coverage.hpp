#pragma once
// Whether a CUDA build's architecture list can run on a GPU: the binary compatibility rule of
// docs/CLI.md, "Policy". Pure.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/host_facts.hpp"

namespace envpin::verify {

// One entry of an arch list: "sm_90" (SASS), "sm_90a" (SASS for exactly 9.0), "compute_90"
// (PTX). nullopt for anything else.
struct ArchEntry {
    ComputeCapability cc;
    bool ptx = false;
    bool arch_specific = false;  // the "a" suffix: runs only on this exact compute capability
    bool operator==(const ArchEntry&) const = default;
};
[[nodiscard]] std::optional<ArchEntry> parse_arch_entry(std::string_view text);

// Splits "sm_75 sm_80;sm_90,compute_90" on spaces, commas and semicolons.
[[nodiscard]] std::vector<std::string> split_arch_list(std::string_view text);

// The entry that lets the GPU run the build, or nullopt when none does. SASS runs on the same
// major with a minor <= the GPU's; PTX runs on any GPU of a compute capability >= its own, but
// only when `ptx_allowed` (the driver JIT-compiles it natively; minor-version compatibility
// cannot). SASS is preferred to PTX, and the newest that runs to older ones.
[[nodiscard]] std::optional<std::string> covering_arch(const std::vector<std::string>& arch_list,
                                                       ComputeCapability gpu, bool ptx_allowed);

}  // namespace envpin::verify
