#pragma once
// A verification run as a value: the host it ran on, the context around it, every check's
// result, and the verdict; its `verify --json` form (docs/VERIFY.md, "Reports"), the host
// fingerprint that keys stored runs, and the regression comparison against an earlier run on
// the same host.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "resolver/host_facts.hpp"
#include "verify/runner/check_result.hpp"
#include "verify/runner/run_context.hpp"

namespace envpin::verify {

// Bumped when a check's meaning or thresholds change, so runs of different suites never
// compare or count as "verified on this host" for each other.
inline constexpr std::string_view suite_version = "1";

// A figure that got worse than the baseline by more than the margin.
struct Regression {
    std::string check;      // "train"
    std::string figure;     // "value" or a measurement ("samples_per_s")
    std::string unit;       // "samples/s"
    double baseline = 0;
    double current = 0;
    double change = 0;      // (current - baseline) / baseline: -0.2 is 20% lower
    bool operator==(const Regression&) const = default;
};

// A failed run of bytes that passed on this host before: the cause is outside the environment.
struct PassedBefore {
    std::string ref;  // "train@1": the snapshot the passing run was recorded for
    std::string at;   // when it passed, ISO 8601 UTC
    // What differs from that run's context to this one's; nullopt when that run recorded none.
    std::optional<std::vector<ContextDifference>> differences;
    bool operator==(const PassedBefore&) const = default;
};

// A failure of other bytes than those of a snapshot that passed on this host: what changed
// since that snapshot, distributions first, then files.
struct ChangedSince {
    std::string ref;                         // "train@1": the newest snapshot that passed here
    std::vector<std::string> distributions;  // "torch 2.11.0 -> 2.12.0", "numpy (new) 2.3.1"
    long long added = 0, modified = 0, removed = 0;
    std::vector<std::string> paths;          // the first changed paths, site-packages/ left out
    bool operator==(const ChangedSince&) const = default;
};

struct Report {
    bool passed = false;  // no check failed or errored (skips allowed)
    HostFacts host;
    RunContext context;       // captured by the parent before the checks ran
    std::string fingerprint;  // host_fingerprint(host, suite_version)
    std::string suite_version{verify::suite_version};
    nlohmann::json snapshot = nlohmann::json::object();  // filled by the caller that knows the snapshot
    std::vector<CheckResult> checks;
    std::vector<Regression> regressions;  // filled by the caller from find_regressions
    std::optional<PassedBefore> passed_before;  // filled by the caller that knows the store
    std::optional<ChangedSince> changed_since;  // the same; on a failure of other bytes
    long long duration_ms = 0;
};

// pass iff no check failed or errored.
[[nodiscard]] bool suite_passed(const std::vector<CheckResult>& checks);

// {"status": "pass"|"fail", "passed_before": null | {"ref", "at", "context_differences":
//  null | [{"what", "before", "after"}]}, "changed_since": null | {"ref", "distributions",
//  "files": {"added", "modified", "removed"}, "paths"}, "host", "context", "snapshot", "checks": [...],
//  "fingerprint", "suite_version", "duration_ms", "regressions": [{"check", "figure", "unit",
//  "baseline", "current", "change"}]}
[[nodiscard]] nlohmann::json to_json(const Report& report);
// "changed since train@1, which passed here: torch 2.11.0 -> 2.12.0; 1 file modified:
// torch/nn/modules/linear.py": one line for the summary and the gate.
[[nodiscard]] std::string describe(const ChangedSince& changed);

// Reads to_json's form back (a stored baseline); bad_input when it is not one.
[[nodiscard]] Expected<Report> report_from_json(const nlohmann::json& document);

// 16 hex digits of SHA-256 over the suite version, the driver version and the GPU models
// (sorted, with counts): what must be equal for two runs to be compared. Pure.
[[nodiscard]] std::string host_fingerprint(const HostFacts& host, std::string_view suite);

// Figures of `current` worse than those of `baseline` by more than `margin` (0.15: 15%).
// Compared: each passing check's `value` when both runs passed it with the same unit and the
// unit is a rate (ends in "/s", higher is better), and the rate measurements
// ("samples_per_s", "*_gbps", "*_tflops"). Empty when the fingerprints differ. Pure.
[[nodiscard]] std::vector<Regression> find_regressions(const Report& current, const Report& baseline,
                                                       double margin = 0.15);

}  // namespace envpin::verify
