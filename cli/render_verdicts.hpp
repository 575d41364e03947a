#pragma once
// Verdicts on this host (store/lifecycle/verdicts.hpp) in words and JSON, as log, status,
// reset and verify show them. Pure, but for today_utc().
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/lifecycle/verdicts.hpp"

namespace envpin::cli {

// log's mark: "verified:pass" | "verified:fail" | "unverified".
[[nodiscard]] std::string verdict_mark(std::optional<bool> verdict);
// "verified on this host" | "failed verification on this host" | "never verified on this host".
[[nodiscard]] std::string verdict_words(std::optional<bool> verdict);
// "pass" | "fail" | null.
[[nodiscard]] nlohmann::json verdict_json(std::optional<bool> verdict);

// Today's date in UTC, "2026-11-27" (runs are recorded in UTC).
[[nodiscard]] std::string today_utc();
// A run's time, short: "15:19" when `iso_utc` ("2026-11-27T15:19:02Z") falls on `today`,
// else "2026-11-25 15:19"; the text unchanged when it is not such a time.
[[nodiscard]] std::string short_time(std::string_view iso_utc, std::string_view today);

// The runs, oldest first: "pass 15:19, fail 15:20"; with more than `shown`, the count and the
// last `shown`: "7 runs, last: pass 15:19, fail 15:20, fail 15:21". "" when there are none.
[[nodiscard]] std::string runs_text(const std::vector<store::VerifyRun>& runs, std::string_view today,
                                    size_t shown = 3);
// [{"at", "status", "ref"}], oldest first; "ref" names the snapshot each run was recorded for
// (another snapshot with the same bytes, or the snapshot itself).
[[nodiscard]] nlohmann::json runs_json(const std::vector<store::VerifyRun>& runs, const store::Verdicts& verdicts);

}  // namespace envpin::cli
