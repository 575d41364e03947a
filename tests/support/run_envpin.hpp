#pragma once
#include <sys/types.h>
// Runs the built envpin binary as a real subprocess, for end-to-end tests.
#include <filesystem>
#include <optional>
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

// `envpin <arguments>` with extra environment variables and, when `stdin_data` is given, that
// text on its stdin (otherwise stdin is /dev/null), in `cwd` when given; fails the test if it
// cannot start or is killed.
EnvpinRun run_envpin(const std::vector<std::string>& arguments,
                     const std::vector<std::pair<std::string, std::string>>& environment = {},
                     int timeout_seconds = 120,
                     const std::optional<std::string>& stdin_data = std::nullopt,
                     const std::optional<std::filesystem::path>& cwd = std::nullopt);

// `envpin <arguments>` started by `sh -c '<setup>; exec envpin "$@"'`, so that `setup` decides
// what envpin and its children inherit: "ulimit -v 400000", "export CUDA_VISIBLE_DEVICES=",
// "unset CUDA_VISIBLE_DEVICES". Fails the test as run_envpin does.
EnvpinRun run_envpin_after(const std::string& setup, const std::vector<std::string>& arguments,
                           int timeout_seconds = 120);

// xmllint's verdict on `file` against the JUnit schema CI servers read (tests/data/junit.xsd):
// "" when valid, its message otherwise.
[[nodiscard]] std::string junit_problems(const std::filesystem::path& file);

// Starts `envpin <arguments>` (fork and exec, inheriting this process's environment) and
// returns its pid without waiting: for tests that kill it mid-way.
[[nodiscard]] pid_t start_envpin(const std::vector<std::string>& arguments);

}  // namespace envpin::test
