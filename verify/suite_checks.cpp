// The table of the checks this file's header names: one place to add a check.
#include "verify/suite_checks.hpp"

#include <array>
#include <cstdlib>

namespace envpin::verify {
namespace {

struct Entry {
    std::string_view name;
    CheckFunction run;
};

constexpr std::array checks{
    Entry{"host", run_host_check},
    Entry{"libs", run_libs_check},
    Entry{"train", run_train_check},
    Entry{"python", run_python_check},
    Entry{"project", run_project_check},
};

constexpr std::array<std::string_view, 7> selftests{
    "selftest-pass", "selftest-hang",    "selftest-crash", "selftest-fork",
    "selftest-flood", "selftest-garbage", "selftest-exit",
};

}  // namespace

bool selftest_enabled()
{
    const char* value = std::getenv("ENVPIN_PROBE_SELFTEST");
    return value != nullptr && std::string_view(value) == "1";
}

std::span<const std::string_view> selftest_check_names()
{
    return selftests;
}

CheckFunction find_suite_check(std::string_view name)
{
    for (const auto& entry : checks)
        if (entry.name == name)
            return entry.run;
    if (selftest_enabled())
        for (const auto selftest : selftests)
            if (selftest == name)
                return run_selftest_check;
    return nullptr;
}

}  // namespace envpin::verify
