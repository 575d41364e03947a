#include "cli/render_verdicts.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"

namespace envpin::cli {

std::string verdict_mark(std::optional<bool> verdict)
{
    return !verdict ? "unverified" : *verdict ? "verified:pass" : "verified:fail";
}

std::string verdict_words(std::optional<bool> verdict)
{
    return !verdict   ? "never verified on this host"
           : *verdict ? "verified on this host"
                      : "failed verification on this host";
}

nlohmann::json verdict_json(std::optional<bool> verdict)
{
    return verdict ? nlohmann::json(*verdict ? "pass" : "fail") : nlohmann::json(nullptr);
}

std::string today_utc()
{
    return store::utc_now().substr(0, 10);
}

std::string short_time(std::string_view iso_utc, std::string_view today)
{
    // "YYYY-MM-DDTHH:MM:SSZ"
    if (iso_utc.size() < 16 || iso_utc[10] != 'T')
        return std::string(iso_utc);
    const auto date = iso_utc.substr(0, 10);
    const auto time = iso_utc.substr(11, 5);
    return date == today ? std::string(time) : fmt::format("{} {}", date, time);
}

std::string runs_text(const std::vector<store::VerifyRun>& runs, std::string_view today, size_t shown)
{
    std::vector<std::string> parts;
    const auto first = runs.size() > shown ? runs.size() - shown : 0;
    for (size_t i = first; i < runs.size(); ++i)
        parts.push_back(fmt::format("{} {}", runs[i].record.passed ? "pass" : "fail",
                                    short_time(runs[i].record.started, today)));
    const auto list = join(parts, ", ");
    return first == 0 ? list : fmt::format("{} runs, last: {}", runs.size(), list);
}

nlohmann::json runs_json(const std::vector<store::VerifyRun>& runs, const store::Verdicts& verdicts)
{
    auto list = nlohmann::json::array();
    for (const auto& run : runs) {
        const auto snapshot = verdicts.snapshot_of(run);
        list.push_back({{"at", run.record.started},
                        {"status", run.record.passed ? "pass" : "fail"},
                        {"ref", snapshot ? nlohmann::json(snapshot->label()) : nlohmann::json(nullptr)}});
    }
    return list;
}

}  // namespace envpin::cli
