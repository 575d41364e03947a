#include "verify/runner/check_result.hpp"

#include <cstdlib>

namespace envpin::verify {
namespace {

nlohmann::json optional_number(const std::optional<double>& value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::optional<double> read_optional_number(const nlohmann::json& document, const char* key)
{
    const auto it = document.find(key);
    if (it == document.end() || it->is_null())
        return std::nullopt;
    return it->get<double>();
}

}  // namespace

std::string_view to_string(CheckStatus status)
{
    switch (status) {
    case CheckStatus::pass: return "pass";
    case CheckStatus::fail: return "fail";
    case CheckStatus::skip: return "skip";
    case CheckStatus::error: return "error";
    }
    return "error";
}

std::optional<CheckStatus> parse_check_status(std::string_view text)
{
    for (auto status : {CheckStatus::pass, CheckStatus::fail, CheckStatus::skip, CheckStatus::error})
        if (to_string(status) == text)
            return status;
    return std::nullopt;
}

nlohmann::json to_json(const CheckResult& result)
{
    return {{"name", result.name},
            {"status", std::string(to_string(result.status))},
            {"value", optional_number(result.value)},
            {"unit", result.unit},
            {"reference", optional_number(result.reference)},
            {"threshold", optional_number(result.threshold)},
            {"duration_ms", result.duration_ms},
            {"detail", result.detail},
            {"hint", result.hint},
            {"measurements", result.measurements}};
}

Expected<CheckResult> check_result_from_json(const nlohmann::json& document)
{
    if (!document.is_object())
        return fail(ErrorCode::bad_input, "a check result must be a JSON object");
    try {
        CheckResult result;
        result.name = document.at("name").get<std::string>();
        const auto status = parse_check_status(document.at("status").get<std::string>());
        if (!status)
            return fail(ErrorCode::bad_input, "check {}: unknown status", result.name);
        result.status = *status;
        result.value = read_optional_number(document, "value");
        result.unit = document.value("unit", "");
        result.reference = read_optional_number(document, "reference");
        result.threshold = read_optional_number(document, "threshold");
        result.duration_ms = document.value("duration_ms", 0LL);
        result.detail = document.value("detail", "");
        result.hint = document.value("hint", "");
        if (auto it = document.find("measurements"); it != document.end())
            result.measurements = *it;
        return result;
    } catch (const nlohmann::json::exception& error) {
        return fail(ErrorCode::bad_input, "malformed check result: {}", error.what());
    }
}

std::optional<std::string> ProbeRequest::parameter(const std::string& key) const
{
    const auto it = parameters.find(key);
    if (it == parameters.end())
        return std::nullopt;
    return it->second;
}

double ProbeRequest::number(const std::string& key, double fallback) const
{
    const auto text = parameter(key);
    if (!text)
        return fallback;
    char* end = nullptr;
    const double value = std::strtod(text->c_str(), &end);
    return end != nullptr && *end == '\0' && end != text->c_str() ? value : fallback;
}

nlohmann::json to_json(const ProbeRequest& request)
{
    return {{"check", request.check},
            {"environment", request.environment.string()},
            {"parameters", request.parameters}};
}

Expected<ProbeRequest> probe_request_from_json(std::string_view text)
{
    const auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        return fail(ErrorCode::bad_input, "probe request is not a JSON object");
    try {
        ProbeRequest request;
        request.check = document.at("check").get<std::string>();
        request.environment = document.value("environment", "");
        if (auto it = document.find("parameters"); it != document.end())
            request.parameters = it->get<std::map<std::string, std::string>>();
        return request;
    } catch (const nlohmann::json::exception& error) {
        return fail(ErrorCode::bad_input, "malformed probe request: {}", error.what());
    }
}

}  // namespace envpin::verify
