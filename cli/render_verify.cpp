#include "cli/render_verify.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/render_verdicts.hpp"
#include "verify/runner/not_proven.hpp"

namespace envpin::cli {

using verify::CheckStatus;

std::string paint(std::string_view text, CheckStatus status, bool color)
{
    if (!color)
        return std::string(text);
    const char* code = status == CheckStatus::pass   ? "32"
                       : status == CheckStatus::fail ? "31"
                       : status == CheckStatus::skip ? "33"
                                                     : "35";
    return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

namespace {

std::string number(double value)
{
    return fmt::format("{:.4g}", value);
}

// "0.0021 loss (threshold 0.1)", "3012 GB/s (reference 3350, threshold 2512)", or "".
std::string figure(const verify::CheckResult& check)
{
    if (!check.value)
        return {};
    std::string text = number(*check.value) + (check.unit.empty() ? "" : " " + check.unit);
    std::vector<std::string> bounds;
    if (check.reference)
        bounds.push_back("reference " + number(*check.reference));
    if (check.threshold)
        bounds.push_back("threshold " + number(*check.threshold));
    if (!bounds.empty())
        text += fmt::format(" ({})", fmt::join(bounds, ", "));
    return text;
}

// "these exact bytes passed here at 15:19 (train@1): the cause is outside the environment",
// then what differs around the run.
void render_passed_before(const verify::PassedBefore& passed, std::ostream& out)
{
    fmt::print(out, "these exact bytes passed here at {} ({}): the cause is outside the environment\n",
               short_time(passed.at, today_utc()), passed.ref);
    if (!passed.differences)
        fmt::print(out, "  that run recorded no context to compare with\n");
    else if (passed.differences->empty())
        fmt::print(out, "  no difference in what envpin records around a run (CUDA_*, NCCL_* and loader variables, "
                        "visible GPUs, memory limits)\n");
    for (const auto& difference : passed.differences.value_or(std::vector<verify::ContextDifference>{}))
        fmt::print(out, "  {}\n", verify::describe(difference));
}

}  // namespace

void render_check(const verify::CheckResult& check, std::ostream& out, bool color, int name_width)
{
    const auto status = fmt::format("{:<5}", verify::to_string(check.status));
    const auto line = fmt::format("{:<{}} {} {:>7.2f} s  {}", check.name, name_width, paint(status, check.status, color),
                                  static_cast<double>(check.duration_ms) / 1000, figure(check));
    const std::string indent(static_cast<size_t>(name_width) + 1, ' ');
    fmt::print(out, "{}\n", std::string_view(line).substr(0, line.find_last_not_of(' ') + 1));
    if (!check.detail.empty())
        fmt::print(out, "{}{}\n", indent, check.detail);
    if (!check.hint.empty() && (check.status == CheckStatus::fail || check.status == CheckStatus::error))
        fmt::print(out, "{}hint: {}\n", indent, check.hint);
}

void render_verify_summary(const verify::Report& report, std::ostream& out, bool color)
{
    int counts[4] = {};
    for (const auto& check : report.checks)
        ++counts[static_cast<int>(check.status)];
    const auto verdict = report.passed ? CheckStatus::pass : CheckStatus::fail;
    fmt::print(out, "\n");
    if (report.passed_before)
        render_passed_before(*report.passed_before, out);
    if (report.changed_since)
        fmt::print(out, "{}\n", verify::describe(*report.changed_since));
    const auto unproven = verify::not_proven(report.checks);
    if (unproven)
        fmt::print(out, "{}\n", verify::describe(*unproven));
    const auto verdict_text = std::string(report.passed ? "PASS" : "FAIL") +
                              (report.passed && unproven ? " (" + verify::mark(*unproven) + ")" : "");
    fmt::print(out, "verify: {}  {} passed, {} failed, {} errors, {} skipped in {:.1f} s  (host {}, suite {})\n",
               paint(verdict_text, verdict, color), counts[0], counts[1], counts[3], counts[2],
               static_cast<double>(report.duration_ms) / 1000, report.fingerprint, report.suite_version);
    for (const auto& r : report.regressions)
        fmt::print(out, "regression: {} {} {} {} -> {} ({:+.0f}%) against the last verified run on this host\n",
                   r.check, r.figure, r.unit, number(r.baseline), number(r.current), r.change * 100);
}

}  // namespace envpin::cli
