#include "tests/support/run_envpin.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace envpin::test {

nlohmann::json EnvpinRun::json() const
{
    return nlohmann::json::parse(out);
}

EnvpinRun run_envpin(const std::vector<std::string>& arguments,
                     const std::vector<std::pair<std::string, std::string>>& environment,
                     int timeout_seconds, const std::optional<std::string>& stdin_data,
                     const std::optional<std::filesystem::path>& cwd)
{
    sys::ProcessSpec spec;
    // ENVPIN_TEST_BIN points the tests at a relocated binary (the GPU machine's bundle).
    const char* relocated = std::getenv("ENVPIN_TEST_BIN");
    spec.argv = {relocated != nullptr && *relocated ? relocated : ENVPIN_BIN};
    spec.argv.insert(spec.argv.end(), arguments.begin(), arguments.end());
    spec.set_env = environment;
    spec.timeout = std::chrono::seconds(timeout_seconds);
    spec.stdin_data = stdin_data;
    spec.cwd = cwd;
    auto result = sys::run_process(spec);
    EnvpinRun run;
    if (!result) {
        ADD_FAILURE() << "cannot run envpin: " << result.error().describe();
        return run;
    }
    EXPECT_TRUE(result->exited()) << "envpin " << result->describe_status() << "\n" << result->err;
    run.exit_code = result->exit_code;
    run.out = std::move(result->out);
    run.err = std::move(result->err);
    return run;
}

}  // namespace envpin::test
