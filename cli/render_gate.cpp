#include "cli/render_gate.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/render_verify.hpp"

namespace envpin::cli {
namespace {

std::string_view status_of(const GateReport& report)
{
    return report.passed() ? "pass" : "fail";
}

}  // namespace

void render_gate_summary(const GateReport& report, std::ostream& out, bool color)
{
    const auto seconds = static_cast<double>(report.duration_ms) / 1000;
    const auto where = fmt::format("({}{})", report.lock,
                                   report.environment.empty() ? "" : ", environment " + report.environment);
    if (report.passed()) {
        fmt::print(out, "\ngate: {}  {} steps in {:.1f} s  {}\n", paint("PASS", verify::CheckStatus::pass, color),
                   report.steps.size(), seconds, where);
        return;
    }
    const auto status = report.error ? verify::CheckStatus::error : verify::CheckStatus::fail;
    fmt::print(out, "\ngate: {}  stopped at {} after {:.1f} s  {}\n", paint(report.error ? "ERROR" : "FAIL", status, color),
               report.stopped_at(), seconds, where);
}

nlohmann::json gate_to_json(const GateReport& report)
{
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : report.steps)
        steps.push_back(verify::to_json(step));
    const auto stopped = report.stopped_at();
    return {{"status", status_of(report)},
            {"lock", report.lock},
            {"environment", report.environment.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.environment)},
            {"stopped_at", stopped.empty() ? nlohmann::json(nullptr) : nlohmann::json(stopped)},
            {"steps", steps},
            {"verify", report.verify ? verify::to_json(*report.verify) : nlohmann::json(nullptr)},
            {"duration_ms", report.duration_ms}};
}

verify::JUnitSuite gate_junit_suite(const GateReport& report)
{
    verify::JUnitSuite suite{"envpin gate", {{"lock", report.lock}, {"environment", report.environment}}, {},
                             report.duration_ms};
    if (report.verify) {
        const auto checks = verify::junit_suite(*report.verify);
        suite.properties.insert(suite.properties.end(), checks.properties.begin(), checks.properties.end());
    }
    for (const auto& step : report.steps)
        suite.cases.emplace_back("envpin.gate", step);
    if (report.verify)
        for (const auto& check : report.verify->checks)
            suite.cases.emplace_back("envpin.verify", check);
    return suite;
}

}  // namespace envpin::cli
