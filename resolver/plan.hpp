#pragma once
// What resolution returns: a Plan (the stack to install, with the reasons for it) or a
// Conflict (no usable build, with every candidate's reasons). `create` consumes a Plan, or the
// Lock made from one; `resolve --json` renders either.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "resolver/arch.hpp"
#include "resolver/catalog.hpp"
#include "resolver/driver_version.hpp"
#include "resolver/version.hpp"

namespace envpin {

// Why a candidate build was not taken. The order is the order of the checks.
enum class Cause {
    cuda_spec,   // does not match the requested CUDA (or cpu)
    no_driver,   // a CUDA build on a host without an NVIDIA driver
    driver,      // the driver is too old, even under minor-version compatibility
    driver_branch, // the driver's branch does not support a GPU's architecture (too new or too old)
    native_only, // would run only under minor-version compatibility, and --native-only is set
    gpu,         // no SASS or usable PTX for a GPU, or an arch list the catalog lacks
    python,      // the requested Python is not built for
    companion,   // a requested companion is not published for this build
    not_chosen,  // usable, but a build with a newer CUDA of the same release was chosen
};
[[nodiscard]] std::string_view to_string(Cause cause);

struct Reason {
    Cause cause = Cause::not_chosen;
    std::string text; // "needs driver >= 570.26 for CUDA 12.8 (...); this host has 470.82.01"
    bool operator==(const Reason&) const = default;
};

struct Rejection {
    std::string candidate; // "2.8.0+cu129"
    std::vector<Reason> reasons;
    bool operator==(const Rejection&) const = default;
};

// A catalog value the plan depends on that is not plainly sourced ("2.11.0+cu128 cudnn":
// conflict, "RELEASE.md says 9.17.1.4; ...").
struct FactRef {
    std::string subject;
    Fact fact;
    bool operator==(const FactRef&) const = default;
};

enum class Compat { none, native, minor_version }; // none: a cpu build
[[nodiscard]] std::string_view to_string(Compat compat);

struct Package {
    std::string name;    // "torch", "torchvision", "triton", "nvidia-cudnn-cu12"
    std::string version; // exact ("2.7.1+cu128") or a specifier for ranged pins
    bool operator==(const Package&) const = default;
};

struct Plan {
    Version torch;               // 2.7.1+cu128
    std::string variant;         // "cu128" | "cpu"
    std::optional<Version> cuda; // 12.8; nullopt for cpu
    std::string toolkit;         // CUDA toolkit the build was made with ("12.8.0"), if known
    std::string python;          // "3.12" or "3.13t"
    std::string python_reason;   // "this host's python3 (3.12.3)"
    std::string index_url;
    std::optional<std::string> cudnn, nccl, triton;
    std::optional<DriverVersion> min_driver;    // what this plan needs in its compat mode
    std::optional<DriverVersion> native_driver; // toolkit driver of the build's exact toolkit
    std::optional<DriverVersion> host_driver;
    Compat compat = Compat::none;
    std::vector<ArchTarget> arch;
    bool arch_known = true;
    std::vector<std::string> coverage; // per GPU: "GPU 0 (NVIDIA H200, sm_90): SASS sm_90"
    std::vector<Package> packages;     // torch, companions, triton, Requires-Dist pins
    std::vector<Pin> pins;             // every library pin to check after install
    std::vector<std::string> warnings;
    std::vector<FactRef> rests_on;
    std::vector<Rejection> rejected; // candidates tried before and beside the choice
    bool operator==(const Plan&) const = default;
};

struct Conflict {
    std::vector<std::string> summary; // one line per cause, most fundamental first
    std::vector<Rejection> rejected;  // every candidate tried
    bool operator==(const Conflict&) const = default;
};

using Resolution = std::variant<Plan, Conflict>;

} // namespace envpin
