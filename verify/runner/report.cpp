#include "verify/runner/report.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "verify/host/host_facts_json.hpp"
#include "verify/host/host_probe.hpp"
#include "verify/runner/digest.hpp"
#include "verify/runner/not_proven.hpp"

namespace envpin::verify {
namespace {

nlohmann::json regression_to_json(const Regression& r)
{
    return {{"check", r.check},       {"figure", r.figure},   {"unit", r.unit},
            {"baseline", r.baseline}, {"current", r.current}, {"change", r.change}};
}

nlohmann::json passed_before_to_json(const std::optional<PassedBefore>& passed)
{
    if (!passed)
        return nullptr;
    auto differences = nlohmann::json(nullptr);
    if (passed->differences) {
        differences = nlohmann::json::array();
        for (const auto& difference : *passed->differences)
            differences.push_back(to_json(difference));
    }
    return {{"ref", passed->ref}, {"at", passed->at}, {"context_differences", differences}};
}

std::optional<PassedBefore> passed_before_from_json(const nlohmann::json& document)
{
    if (!document.is_object())
        return std::nullopt;
    PassedBefore passed{document.at("ref").get<std::string>(), document.at("at").get<std::string>(), std::nullopt};
    if (const auto& differences = document.at("context_differences"); differences.is_array()) {
        passed.differences.emplace();
        for (const auto& d : differences)
            passed.differences->push_back({d.at("what").get<std::string>(), d.at("before").get<std::string>(),
                                           d.at("after").get<std::string>()});
    }
    return passed;
}

bool is_rate_unit(std::string_view unit)
{
    return unit.ends_with("/s");
}

// Rate figures among a check's measurements: name -> (value, unit).
std::map<std::string, std::pair<double, std::string>> rate_measurements(const CheckResult& check)
{
    std::map<std::string, std::pair<double, std::string>> rates;
    if (!check.measurements.is_object())
        return rates;
    for (const auto& [key, value] : check.measurements.items()) {
        if (!value.is_number())
            continue;
        if (key == "samples_per_s")
            rates[key] = {value.get<double>(), "samples/s"};
        else if (key.ends_with("_gbps"))
            rates[key] = {value.get<double>(), "GB/s"};
        else if (key.ends_with("_tflops"))
            rates[key] = {value.get<double>(), "TFLOP/s"};
    }
    return rates;
}

void compare(const std::string& check, const std::string& figure, const std::string& unit, double baseline,
             double current, double margin, std::vector<Regression>& out)
{
    if (baseline <= 0)
        return;
    const double change = (current - baseline) / baseline;
    if (change < -margin)
        out.push_back({check, figure, unit, baseline, current, change});
}

}  // namespace

bool suite_passed(const std::vector<CheckResult>& checks)
{
    return std::ranges::none_of(checks, [](const CheckResult& c) {
        return c.status == CheckStatus::fail || c.status == CheckStatus::error;
    });
}

namespace {

nlohmann::json changed_since_to_json(const std::optional<ChangedSince>& changed)
{
    if (!changed)
        return nullptr;
    return {{"ref", changed->ref},
            {"distributions", changed->distributions},
            {"files", {{"added", changed->added}, {"modified", changed->modified}, {"removed", changed->removed}}},
            {"paths", changed->paths}};
}

std::optional<ChangedSince> changed_since_from_json(const nlohmann::json& document)
{
    if (!document.is_object())
        return std::nullopt;
    const auto& files = document.at("files");
    return ChangedSince{document.at("ref").get<std::string>(),
                        document.at("distributions").get<std::vector<std::string>>(),
                        files.at("added").get<long long>(), files.at("modified").get<long long>(),
                        files.at("removed").get<long long>(), document.at("paths").get<std::vector<std::string>>()};
}

}  // namespace

std::string describe(const ChangedSince& changed)
{
    std::vector<std::string> parts = changed.distributions;
    std::vector<std::string> counts;
    for (const auto& [count, word] : {std::pair{changed.added, "added"}, std::pair{changed.modified, "modified"},
                                      std::pair{changed.removed, "removed"}})
        if (count > 0)
            counts.push_back(fmt::format("{} {}", count, word));
    const auto total = changed.added + changed.modified + changed.removed;
    if (total > 0) {
        auto files = total == 1 ? "1 file " + counts.front().substr(2) : "files " + join(counts, ", ");
        if (!changed.paths.empty())
            files += ": " + join(changed.paths, ", ") +
                     (static_cast<long long>(changed.paths.size()) < total ? ", ..." : "");
        parts.push_back(std::move(files));
    }
    return fmt::format("changed since {}, which passed here: {}", changed.ref,
                       parts.empty() ? std::string("nothing envpin records") : join(parts, "; "));
}

nlohmann::json to_json(const Report& report)
{
    auto checks = nlohmann::json::array();
    for (const auto& check : report.checks)
        checks.push_back(to_json(check));
    auto regressions = nlohmann::json::array();
    for (const auto& r : report.regressions)
        regressions.push_back(regression_to_json(r));
    return {{"status", report.passed ? "pass" : "fail"},
            {"passed_before", passed_before_to_json(report.passed_before)},
            {"changed_since", changed_since_to_json(report.changed_since)},
            {"host", host_to_json(report.host)},
            {"context", to_json(report.context)},
            {"snapshot", report.snapshot},
            {"checks", checks},
            {"fingerprint", report.fingerprint},
            {"suite_version", report.suite_version},
            {"duration_ms", report.duration_ms},
            {"regressions", regressions},
            {"not_proven", to_json(not_proven(report.checks))}};
}

Expected<Report> report_from_json(const nlohmann::json& document)
{
    if (!document.is_object() || !document.contains("checks") || !document.contains("host"))
        return fail(ErrorCode::bad_input, "not a verify report");
    try {
        Report report;
        report.passed = document.at("status").get<std::string>() == "pass";
        report.host = ENVPIN_TRY(host_facts_from_json(document.at("host")));
        if (document.contains("context"))
            report.context = ENVPIN_TRY(run_context_from_json(document.at("context")));
        report.passed_before = passed_before_from_json(document.value("passed_before", nlohmann::json()));
        report.changed_since = changed_since_from_json(document.value("changed_since", nlohmann::json()));
        report.snapshot = document.value("snapshot", nlohmann::json::object());
        for (const auto& check : document.at("checks"))
            report.checks.push_back(ENVPIN_TRY(check_result_from_json(check)));
        report.suite_version = document.value("suite_version", std::string(suite_version));
        report.fingerprint = document.value("fingerprint", host_fingerprint(report.host, report.suite_version));
        report.duration_ms = document.value("duration_ms", 0LL);
        for (const auto& r : document.value("regressions", nlohmann::json::array()))
            report.regressions.push_back({r.at("check").get<std::string>(), r.at("figure").get<std::string>(),
                                          r.at("unit").get<std::string>(), r.at("baseline").get<double>(),
                                          r.at("current").get<double>(), r.at("change").get<double>()});
        return report;
    } catch (const nlohmann::json::exception& error) {
        return fail(ErrorCode::bad_input, "malformed verify report: {}", error.what());
    }
}

std::string host_fingerprint(const HostFacts& host, std::string_view suite)
{
    std::map<std::string, int> models;
    for (const auto& gpu : host.gpus)
        ++models[gpu.name];
    std::vector<std::string> parts;
    for (const auto& [name, count] : models)
        parts.push_back(fmt::format("{}x {}", count, name));
    const auto text = fmt::format("suite={}\ndriver={}\ngpus={}\n", suite, host.driver.value_or("none"), join(parts, "|"));
    return sha256_hex(text).substr(0, 16);
}

std::vector<Regression> find_regressions(const Report& current, const Report& baseline, double margin)
{
    std::vector<Regression> found;
    if (current.fingerprint != baseline.fingerprint)
        return found;
    for (const auto& now : current.checks) {
        const auto before = std::ranges::find(baseline.checks, now.name, &CheckResult::name);
        if (before == baseline.checks.end() || now.status != CheckStatus::pass || before->status != CheckStatus::pass)
            continue;
        if (now.value && before->value && now.unit == before->unit && is_rate_unit(now.unit))
            compare(now.name, "value", now.unit, *before->value, *now.value, margin, found);
        const auto before_rates = rate_measurements(*before);
        for (const auto& [key, figure] : rate_measurements(now))
            if (const auto it = before_rates.find(key); it != before_rates.end())
                compare(now.name, key, figure.second, it->second.first, figure.first, margin, found);
    }
    return found;
}

}  // namespace envpin::verify
