#pragma once
// What a run did not prove: the GPU checks that did not run (skipped for want of a driver or
// a GPU, with --device cpu or --skip, or left out by --only). A pass without them is a pass of
// the rest, and verify, its JSON and log say so. Pure.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "verify/runner/check_result.hpp"

namespace envpin::verify {

struct NotProven {
    std::string reason;               // "no NVIDIA driver on this host" (distinct reasons joined by "; ")
    std::vector<std::string> checks;  // "kernels", "cublas", ..., in suite order
    bool operator==(const NotProven&) const = default;
};

// The GPU checks of `checks` that were skipped or are missing; nullopt when every one ran.
[[nodiscard]] std::optional<NotProven> not_proven(const std::vector<CheckResult>& checks);

// "GPU checks not run: no NVIDIA driver on this host (kernels, cublas, cudnn, nccl skipped)".
[[nodiscard]] std::string describe(const NotProven& not_proven);
// The verdict's mark: "GPU not proven" when no GPU check ran, else "cudnn not proven".
[[nodiscard]] std::string mark(const NotProven& not_proven);

// null | {"reason", "checks"}.
[[nodiscard]] nlohmann::json to_json(const std::optional<NotProven>& not_proven);

}  // namespace envpin::verify
