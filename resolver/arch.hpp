#pragma once
// GPU code targets in a PyTorch build ("sm_90" = SASS for 9.0, "compute_120" = PTX for 12.0)
// and the rules that decide whether they can run on a GPU of a given compute capability.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/host_facts.hpp"

namespace envpin {

enum class CodeKind { sass, ptx };

struct ArchTarget {
    ComputeCapability cc;
    CodeKind kind = CodeKind::sass;
    auto operator<=>(const ArchTarget&) const = default;
};

// "sm_90" / "compute_120" (as torch.cuda.get_arch_list() prints them); nullopt otherwise.
[[nodiscard]] std::optional<ArchTarget> parse_arch_target(std::string_view text);
[[nodiscard]] std::string to_string(const ArchTarget& target);
// "sm_75 sm_80 ... compute_120".
[[nodiscard]] std::string to_string(const std::vector<ArchTarget>& targets);

// "9.0", "sm_90", "sm_120", "90", "120": a compute capability as users write it; the last
// digit of the sm_/bare form is the minor. nullopt otherwise.
[[nodiscard]] std::optional<ComputeCapability> parse_compute_capability(std::string_view text);
[[nodiscard]] std::string to_string(ComputeCapability cc); // "9.0"
[[nodiscard]] std::string sm_name(ComputeCapability cc);   // "sm_90"

// Whether PTX may be JIT-compiled: only a driver running the build's CUDA natively can, since
// minor-version compatibility cannot JIT PTX from a newer toolkit.
enum class PtxJit { allowed, not_allowed };

// How a build serves one GPU: the SASS target of the same major with the highest minor not
// above the GPU's, else the newest PTX target not above the GPU's (when `jit` allows).
struct Coverage {
    std::optional<ArchTarget> target; // nullopt: no kernel for this GPU
    // Set when only PTX would have served and the driver cannot JIT it.
    std::optional<ArchTarget> ptx_blocked;
    bool operator==(const Coverage&) const = default;
};
[[nodiscard]] Coverage coverage(const std::vector<ArchTarget>& targets, ComputeCapability gpu,
                                PtxJit jit);

} // namespace envpin
