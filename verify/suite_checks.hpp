#pragma once
// The checks that run inside `envpin probe check` (the child side of the suite): each takes
// the ProbeRequest the runner sent and returns one CheckResult; none of them throws on a
// "no" answer (a failed check is a result). This file owns the table of the checks host,
// libs, train, python and project (and, with ENVPIN_PROBE_SELFTEST=1, the watchdog's self-tests);
// verify/probe_dispatch.cpp looks names up here and in the GPU checks' table.
#include <span>
#include <string_view>

#include "verify/check_result.hpp"

namespace envpin::verify {

using CheckFunction = CheckResult (*)(const ProbeRequest& request);

// The check named `name` in this table, or nullptr. Self-test checks are found only while
// ENVPIN_PROBE_SELFTEST=1 is set in the child's environment.
[[nodiscard]] CheckFunction find_suite_check(std::string_view name);

// Whether self-test checks are enabled in this process (ENVPIN_PROBE_SELFTEST=1).
[[nodiscard]] bool selftest_enabled();

// The self-test check names: probes that hang, crash, fork, flood, print garbage.
[[nodiscard]] std::span<const std::string_view> selftest_check_names();

CheckResult run_host_check(const ProbeRequest& request);
CheckResult run_libs_check(const ProbeRequest& request);
CheckResult run_train_check(const ProbeRequest& request);
CheckResult run_python_check(const ProbeRequest& request);
// A project check ([verify] checks): its command in the environment (project_check.cpp).
CheckResult run_project_check(const ProbeRequest& request);
// Self-tests (selftest_checks.cpp); `request.check` picks the behaviour.
CheckResult run_selftest_check(const ProbeRequest& request);

}  // namespace envpin::verify
