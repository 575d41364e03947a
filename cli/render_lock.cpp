#include "cli/render_lock.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace envpin::cli {
namespace {

std::string stack_text(const Lock& lock)
{
    std::string text = "torch " + lock.stack.torch;
    if (lock.stack.cuda)
        text += fmt::format(" (CUDA {}, {}; driver >= {})", *lock.stack.cuda, lock.host.compat,
                            lock.host.min_driver.value_or("?"));
    return text + fmt::format(", Python {}", lock.stack.python);
}

// One line for a lock without targets ("torch ...; for this host: ..."), else a count and one
// indented line per target.
std::string lock_text(const LockFile& file)
{
    if (!file.targeted()) {
        const auto& lock = file.sections.front();
        return stack_text(lock) + (lock.made_for ? " (for this host: envpin.toml has no [[target]])" : "");
    }
    size_t width = 0;
    for (const auto& section : file.sections)
        width = std::max(width, section.target->name.size());
    std::string text = fmt::format("{} targets", file.sections.size());
    for (const auto& section : file.sections)
        text += fmt::format("\n  {:<{}}  {}", section.target->name, width, stack_text(section));
    return text;
}

} // namespace

std::string no_target_sentence(const std::vector<std::string>& mismatches)
{
    std::string text = "no target of the lock is for this host";
    for (size_t i = 0; i < mismatches.size(); ++i)
        text += (i == 0 ? ": " : "; ") + mismatches[i];
    return text;
}

std::string_view to_string(LockStatus status)
{
    switch (status) {
    case LockStatus::written:
        return "written";
    case LockStatus::unchanged:
        return "unchanged";
    case LockStatus::current:
        return "current";
    case LockStatus::stale:
        return "stale";
    case LockStatus::missing:
        return "missing";
    }
    return "";
}

void render_lock_report(const LockReport& report, std::ostream& out)
{
    const auto path = report.path.string();
    switch (report.status) {
    case LockStatus::written:
        fmt::print(out, "wrote {}: {}\n", path, lock_text(*report.lock));
        break;
    case LockStatus::unchanged:
        fmt::print(out, "{} is unchanged: {}\n", path, lock_text(*report.lock));
        break;
    case LockStatus::current:
        fmt::print(out, "{} is current: {}\n", path, lock_text(*report.lock));
        break;
    case LockStatus::missing:
        fmt::print(out, "{} does not exist; `envpin lock` writes it\n", path);
        break;
    case LockStatus::stale:
        fmt::print(out, "{} is stale; `envpin lock` would change:\n", path);
        for (const auto& line : report.differences)
            fmt::print(out, "  {}\n", line);
        break;
    }
}

nlohmann::json lock_report_to_json(const LockReport& report)
{
    nlohmann::json json = {{"status", to_string(report.status)},
                           {"path", report.path.string()},
                           {"differences", report.differences}};
    json["torch"] = report.lock && !report.lock->sections.empty() ? nlohmann::json(report.lock->sections.front().stack.torch)
                                                                 : nlohmann::json(nullptr);
    json["targets"] = nlohmann::json::array();
    if (report.lock)
        for (const auto& section : report.lock->sections)
            json["targets"].push_back({{"name", section.target ? nlohmann::json(section.target->name) : nlohmann::json(nullptr)},
                                       {"torch", section.stack.torch},
                                       {"variant", section.stack.variant},
                                       {"python", section.stack.python},
                                       {"installed", section.installed.size()}});
    return json;
}

} // namespace envpin::cli
