#pragma once
// envpin.lock: the resolved stack, its host requirements and its packages, as a value, and its
// TOML form (deterministic, diff-friendly: fixed key order, one value per line, no timestamps).
// `create` installs from a Lock and later fills `installed` with what it actually installed.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/plan.hpp"
#include "resolver/request.hpp"

namespace envpin {

// The request the lock was made from, as written in envpin.toml (or on the command line).
struct LockRequest {
    std::string torch;
    std::string cuda = "auto";
    std::string python;
    std::vector<std::string> companions;
    bool native_only = false;
    std::vector<std::string> requirements;  // envpin.toml's, PEP 508: pinned with the stack held fixed
    bool operator==(const LockRequest&) const = default;
};

struct LockStack {
    std::string torch;               // "2.7.1+cu128"
    std::string variant;             // "cu128" | "cpu"
    std::optional<std::string> cuda; // "12.8"
    std::string python;              // "3.12"
    std::string index_url;
    std::optional<std::string> cudnn, nccl, triton;
    bool operator==(const LockStack&) const = default;
};

// What a host needs to run the stack.
struct LockHost {
    std::string compat = "none";              // "native" | "minor-version" | "none" (cpu)
    std::optional<std::string> min_driver;    // in the recorded compat mode
    std::optional<std::string> native_driver; // the CUDA release's toolkit driver
    std::vector<std::string> arch;            // "sm_75" ... "compute_120"
    bool operator==(const LockHost&) const = default;
};

// A distribution to install: torch and its companions from the variant's index, the rest
// (triton, nvidia-* pins) from PyPI.
struct LockPackage {
    std::string name;
    std::string version; // exact, or a specifier for ranged pins
    std::string index;
    bool operator==(const LockPackage&) const = default;
};

// A library pin to check after installation.
struct LockPin {
    std::string role;    // "cudnn"
    std::string name;    // "nvidia-cudnn-cu12" (bundled: the role)
    std::string version; // exact, or a specifier
    std::string kind;    // "requires" | "installed-by-toolkit" | "bundled"
    std::string evidence = "sourced";
    bool operator==(const LockPin&) const = default;
};

// An exact installed distribution, filled in by `create` after it installs.
struct InstalledDistribution {
    std::string name;
    std::string version;
    std::string source; // wheel URL or path it came from
    std::string sha256; // of the wheel file, lower-case hex
    bool operator==(const InstalledDistribution&) const = default;
};

struct Lock {
    static constexpr int k_version = 1;
    int version = k_version;
    LockRequest request;
    LockStack stack;
    LockHost host;
    std::vector<LockPackage> packages;
    std::vector<LockPin> pins;
    std::vector<InstalledDistribution> installed;
    bool operator==(const Lock&) const = default;
};

inline constexpr std::string_view k_pypi_index = "https://pypi.org/simple";

// The lock for `plan`, resolved from `request`. Companions the request does not ask for are
// left out of `packages`.
[[nodiscard]] Lock lock_from_plan(const Plan& plan, const LockRequest& request);

// The request a lock records, as text the request parser accepts.
[[nodiscard]] RequestText request_text(const LockRequest& request, std::string field_prefix);

// TOML text of `lock`; byte-identical for equal locks.
[[nodiscard]] std::string print_lock(const Lock& lock);

// Parses envpin.lock text. An unknown lock version or a malformed lock fails with bad_input
// naming `origin` and the line.
[[nodiscard]] Expected<Lock> parse_lock(std::string_view text, std::string_view origin);

// How `fresh` differs from `old` in what was resolved (request, stack, host, packages, pins;
// not `installed`), one line each ("stack.torch: 2.7.1+cu128 -> 2.8.0+cu128"). Empty: same.
[[nodiscard]] std::vector<std::string> lock_differences(const Lock& old, const Lock& fresh);

} // namespace envpin
