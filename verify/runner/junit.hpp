#pragma once
// The JUnit XML form of a verification run (`verify --junit FILE`) and of a gate run (`gate
// --junit FILE`), for CI systems: one <testsuite>, one <testcase> per check or step,
// <failure>/<error>/<skipped> with the detail and the hint.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "verify/runner/report.hpp"

namespace envpin::verify {

// One <testsuite>: its cases are check results, each with the classname it is filed under.
struct JUnitSuite {
    std::string name;  // "envpin verify", "envpin gate"
    std::vector<std::pair<std::string, std::string>> properties;
    std::vector<std::pair<std::string, CheckResult>> cases;  // classname ("envpin.verify"), result
    long long duration_ms = 0;
};

// A verification run as a suite: its checks under "envpin.verify", the host as properties.
[[nodiscard]] JUnitSuite junit_suite(const Report& report);

// A complete XML document (UTF-8). Text is escaped and made valid XML 1.0: characters XML
// forbids and invalid UTF-8 bytes (a crashed probe's output) are replaced.
[[nodiscard]] std::string to_junit_xml(const JUnitSuite& suite);
[[nodiscard]] std::string to_junit_xml(const Report& report);

// `text` escaped for XML character data and attribute values.
[[nodiscard]] std::string xml_escape(std::string_view text);

}  // namespace envpin::verify
