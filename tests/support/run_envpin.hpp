#pragma once
// Runs the built envpin binary as a real subprocess, for end-to-end tests.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sys/process.hpp"

namespace envpin::test {

struct EnvpinRun {
    int exit_code = -1;
    std::string out;
    std::string err;
    [[nodiscard]] nlohmann::json json() const;  // parses `out`; throws on invalid JSON
};

// `envpin <arguments>` with extra environment variables; fails the test if it cannot start
// or is killed.
EnvpinRun run_envpin(const std::vector<std::string>& arguments,
                     const std::vector<std::pair<std::string, std::string>>& environment = {},
                     int timeout_seconds = 120);

}  // namespace envpin::test
