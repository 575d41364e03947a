#pragma once
// envpin.lock: the resolved stack, its host requirements and its packages, as a value, and its
// TOML form (deterministic, diff-friendly: fixed key order, one value per line, no timestamps).
// `create` installs from a Lock and later fills `installed` with what it actually installed.
// A lock file holds one Lock per [[target]] of envpin.toml (a LockFile), or, for a spec without
// targets, one Lock for the host that made it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/plan.hpp"
#include "resolver/request.hpp"
#include "resolver/target.hpp"

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
    std::optional<std::string> native_driver; // the toolkit driver of the build's exact toolkit
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

// One section of a lock file: what one kind of host installs.
struct Lock {
    static constexpr int k_version = 2;  // 2 added [[target]] and [made_for]; version 1 is read too
    int version = k_version;
    LockRequest request;
    std::optional<Target> target;     // the [[target]] resolved; nullopt without targets
    std::optional<MadeFor> made_for;  // without targets: the host that made it (nullopt in a version 1 lock)
    LockStack stack;
    LockHost host;
    std::vector<LockPackage> packages;
    std::vector<LockPin> pins;
    std::vector<InstalledDistribution> installed;
    bool operator==(const Lock&) const = default;
};

// A whole envpin.lock: one section per target, in envpin.toml's order, sharing one [request];
// or one section without a target.
struct LockFile {
    std::vector<Lock> sections;
    [[nodiscard]] bool targeted() const { return !sections.empty() && sections.front().target.has_value(); }
    [[nodiscard]] std::vector<std::string> target_names() const;
    [[nodiscard]] const Lock* section(std::string_view target) const;  // nullptr when absent
    bool operator==(const LockFile&) const = default;
};

inline constexpr std::string_view k_pypi_index = "https://pypi.org/simple";

// The lock for `plan`, resolved from `request`. Companions the request does not ask for are
// left out of `packages`.
[[nodiscard]] Lock lock_from_plan(const Plan& plan, const LockRequest& request);

// The request a lock records, as text the request parser accepts; a target's cuda and python,
// when it sets them, replace the request's.
[[nodiscard]] RequestText request_text(const LockRequest& request, std::string field_prefix,
                                       const std::optional<Target>& target = std::nullopt);

// TOML text of a lock file; byte-identical for equal ones. `print_lock` prints one section as
// a whole file.
[[nodiscard]] std::string print_lock_file(const LockFile& file);
[[nodiscard]] std::string print_lock(const Lock& lock);

// Parses envpin.lock text. An unknown lock version or a malformed lock fails with bad_input
// naming `origin` and the line. `parse_lock` reads a lock without targets (one section) and
// fails naming the targets otherwise.
[[nodiscard]] Expected<LockFile> parse_lock_file(std::string_view text, std::string_view origin);
[[nodiscard]] Expected<Lock> parse_lock(std::string_view text, std::string_view origin);

// How `fresh` differs from `old` in what was resolved (request, target, stack, host, packages,
// pins; not `installed` nor `made_for`), one line each ("stack.torch: 2.7.1+cu128 ->
// 2.8.0+cu128"). Empty: same.
[[nodiscard]] std::vector<std::string> lock_differences(const Lock& old, const Lock& fresh);
// The same over whole files, section by section ("train-h100: stack.torch: ..."; a target
// added or gone is one line).
[[nodiscard]] std::vector<std::string> lock_file_differences(const LockFile& old, const LockFile& fresh);

} // namespace envpin
