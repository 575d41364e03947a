#pragma once
// Human rendering of a verification run: one block per check as it finishes, then a summary.
#include <ostream>
#include <string>
#include <string_view>

#include "verify/runner/report.hpp"

namespace envpin::cli {

// `text` in the status's color (green pass, red fail, yellow skip, magenta error) when `color`.
[[nodiscard]] std::string paint(std::string_view text, verify::CheckStatus status, bool color);

// "host     pass    0.12 s" + the figure, then the detail and, when it did not pass, the hint.
// `name_width`: the column the names are padded to (the gate's step names are longer).
void render_check(const verify::CheckResult& check, std::ostream& out, bool color, int name_width = 8);

// After the checks, the report: first, for a failure of bytes that passed on this host before,
// "these exact bytes passed here at 15:19 (train@1): the cause is outside the environment"
// and what differs around the run ("  memory limit (ulimit -v): none -> 2.0 GB"); then
// "verify: FAIL  1 failed, 2 skipped, 5 passed in 4.2 s  (host fingerprint ..., suite 1)" and
// any regression warnings.
void render_verify_summary(const verify::Report& report, std::ostream& out, bool color);

}  // namespace envpin::cli
