#pragma once
// Internal to the solver: the checks of one candidate build (docs/CLI.md, "Policy", step 2) and
// the sentences that explain them. Used by resolve.cpp and conflict_summary.cpp.
#include <optional>
#include <string>
#include <vector>

#include "resolver/catalog.hpp"
#include "resolver/plan.hpp"
#include "resolver/request.hpp"

namespace envpin::detail {

// Host facts as the solver needs them.
struct HostView {
    std::optional<DriverVersion> driver;
    std::vector<GpuInfo> gpus;
    std::string python;      // "3.12" of the host's python3; empty when none is known
    std::string python_full; // "3.12.3"
};

struct PythonChoice {
    std::string version; // "3.12"
    std::string reason;
    bool experimental = false;
};

// What the checks found for one (release, build).
struct Evaluation {
    std::string candidate; // "2.7.1+cu128"
    const TorchRelease* release = nullptr;
    const TorchBuild* build = nullptr;
    const Variant* variant = nullptr;
    const CudaRelease* cuda = nullptr; // nullptr for cpu
    const CudaMajor* major = nullptr;
    DriverVersion native_driver; // toolkit driver of the exact toolkit the build was made with
    std::string toolkit;         // "12.6.3"; the CUDA release ("12.9") when the catalog lacks it
    std::vector<Reason> reasons; // empty: usable
    Compat compat = Compat::none;
    std::vector<std::string> coverage; // per GPU, for usable builds
    bool used_ptx = false;
    std::optional<PythonChoice> python;
    [[nodiscard]] bool usable() const { return reasons.empty(); }
};

[[nodiscard]] Evaluation evaluate(const Catalog& catalog, const Request& request,
                                  const HostView& host, const TorchRelease& release,
                                  const TorchBuild& build);

// "GPU 0 (NVIDIA H200, sm_90)" or "GPU 1 (sm_120)".
[[nodiscard]] std::string describe_gpu(const GpuInfo& gpu);

// One line per cause over the rejected candidates of a failed resolution.
[[nodiscard]] std::vector<std::string> summarize(const std::vector<Evaluation>& evaluations,
                                                 const Request& request, const HostView& host);

} // namespace envpin::detail
