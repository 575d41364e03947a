#pragma once
// Rendering of `envpin lock` outcomes: written, unchanged, current, stale or missing.
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/lock.hpp"

namespace envpin::cli {

enum class LockStatus { written, unchanged, current, stale, missing };
[[nodiscard]] std::string_view to_string(LockStatus status);

struct LockReport {
    LockStatus status = LockStatus::written;
    std::filesystem::path path;
    const Lock* lock = nullptr;           // the freshly resolved lock
    std::vector<std::string> differences; // stale: what changed
};

void render_lock_report(const LockReport& report, std::ostream& out);
[[nodiscard]] nlohmann::json lock_report_to_json(const LockReport& report);

} // namespace envpin::cli
