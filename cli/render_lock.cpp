#include "cli/render_lock.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace envpin::cli {
namespace {

std::string stack_text(const Lock& lock)
{
    std::string text = lock.stack.torch;
    if (lock.stack.cuda)
        text += fmt::format(" (CUDA {}, {}; driver >= {})", *lock.stack.cuda, lock.host.compat,
                            lock.host.min_driver.value_or("?"));
    return text + fmt::format(", Python {}", lock.stack.python);
}

} // namespace

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
        fmt::print(out, "wrote {}: {}\n", path, stack_text(*report.lock));
        break;
    case LockStatus::unchanged:
        fmt::print(out, "{} is unchanged: {}\n", path, stack_text(*report.lock));
        break;
    case LockStatus::current:
        fmt::print(out, "{} is current: {}\n", path, stack_text(*report.lock));
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
    json["torch"] =
        report.lock ? nlohmann::json(report.lock->stack.torch) : nlohmann::json(nullptr);
    return json;
}

} // namespace envpin::cli
