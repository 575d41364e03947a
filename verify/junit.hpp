#pragma once
// The JUnit XML form of a verification run (`verify --junit FILE`), for CI systems: one
// <testcase> per check, <failure>/<error>/<skipped> with the detail and the hint.
#include <string>
#include <string_view>

#include "verify/report.hpp"

namespace envpin::verify {

// A complete XML document (UTF-8). Text is escaped and made valid XML 1.0: characters XML
// forbids and invalid UTF-8 bytes (a crashed probe's output) are replaced.
[[nodiscard]] std::string to_junit_xml(const Report& report);

// `text` escaped for XML character data and attribute values.
[[nodiscard]] std::string xml_escape(std::string_view text);

}  // namespace envpin::verify
