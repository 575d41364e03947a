#pragma once
// Human rendering of a verification run: one block per check as it finishes, then a summary.
#include <ostream>

#include "verify/report.hpp"

namespace envpin::cli {

// "host     pass    0.12 s" + the figure, then the detail and, when it did not pass, the hint.
void render_check(const verify::CheckResult& check, std::ostream& out, bool color);

// "verify: FAIL  1 failed, 2 skipped, 5 passed in 4.2 s  (host fingerprint ..., suite 1)" plus
// any regression warnings.
void render_verify_summary(const verify::Report& report, std::ostream& out, bool color);

}  // namespace envpin::cli
