#pragma once
// One check's outcome, as the probe child prints it and the suite report carries it
// (the `checks` entries of the verify --json contract, docs/VERIFY.md).
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace envpin::verify {

enum class CheckStatus { pass, fail, skip, error };

[[nodiscard]] std::string_view to_string(CheckStatus status);
[[nodiscard]] std::optional<CheckStatus> parse_check_status(std::string_view text);

struct CheckResult {
    std::string name;                  // "kernels", "cublas", ...
    CheckStatus status = CheckStatus::error;
    std::optional<double> value;       // the headline figure (GB/s, TFLOP/s, loss, ...)
    std::string unit;
    std::optional<double> reference;   // what a healthy GPU/stack reaches
    std::optional<double> threshold;   // below (or above, per check) this the check fails
    long long duration_ms = 0;
    std::string detail;                // what was measured, or why it skipped
    std::string hint;                  // what the user should do when it did not pass
    nlohmann::json measurements = nlohmann::json::object();  // per-GPU figures, versions, paths
};

[[nodiscard]] nlohmann::json to_json(const CheckResult& result);
// bad_input when `document` is not a check result.
[[nodiscard]] Expected<CheckResult> check_result_from_json(const nlohmann::json& document);

// What the suite runner hands a probe child (as JSON on its stdin): which check, against which
// environment, with which parameters (references from the catalog, sizes, device).
struct ProbeRequest {
    std::string check;
    std::filesystem::path environment;  // the virtual environment's root ("" for none)
    std::map<std::string, std::string> parameters;

    [[nodiscard]] std::optional<std::string> parameter(const std::string& key) const;
    [[nodiscard]] double number(const std::string& key, double fallback) const;
};

[[nodiscard]] nlohmann::json to_json(const ProbeRequest& request);
[[nodiscard]] Expected<ProbeRequest> probe_request_from_json(std::string_view text);

}  // namespace envpin::verify
