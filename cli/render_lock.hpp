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
    const LockFile* lock = nullptr;       // the freshly resolved lock
    std::vector<std::string> differences; // stale: what changed
};

// "no target of envpin.lock is for this host (train-h100 needs driver >=570; this host has
// 550.54.15; ci-cpu is for hosts without an NVIDIA driver; ...)": one sentence for every command
// that picks a target, from choose_section's mismatches.
[[nodiscard]] std::string no_target_sentence(const std::vector<std::string>& mismatches);
inline constexpr std::string_view no_target_hint = "--target NAME picks one anyway; [[target]] tables in envpin.toml describe the hosts";

void render_lock_report(const LockReport& report, std::ostream& out);
[[nodiscard]] nlohmann::json lock_report_to_json(const LockReport& report);

} // namespace envpin::cli
