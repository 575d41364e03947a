#include "tests/support/run_envpin.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace envpin::test {

nlohmann::json EnvpinRun::json() const
{
    return nlohmann::json::parse(out);
}

namespace {

std::string envpin_binary()
{
    // ENVPIN_TEST_BIN points the tests at a relocated binary (the GPU machine's bundle).
    const char* relocated = std::getenv("ENVPIN_TEST_BIN");
    return relocated != nullptr && *relocated ? relocated : ENVPIN_BIN;
}

EnvpinRun finished(Expected<sys::ProcessResult> result)
{
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

}  // namespace

EnvpinRun run_envpin(const std::vector<std::string>& arguments,
                     const std::vector<std::pair<std::string, std::string>>& environment,
                     int timeout_seconds, const std::optional<std::string>& stdin_data,
                     const std::optional<std::filesystem::path>& cwd)
{
    sys::ProcessSpec spec;
    spec.argv = {envpin_binary()};
    spec.argv.insert(spec.argv.end(), arguments.begin(), arguments.end());
    spec.set_env = environment;
    spec.timeout = std::chrono::seconds(timeout_seconds);
    spec.stdin_data = stdin_data;
    spec.cwd = cwd;
    return finished(sys::run_process(spec));
}

EnvpinRun run_envpin_after(const std::string& setup, const std::vector<std::string>& arguments, int timeout_seconds)
{
    sys::ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", setup + "; exec \"$0\" \"$@\"", envpin_binary()};
    spec.argv.insert(spec.argv.end(), arguments.begin(), arguments.end());
    spec.timeout = std::chrono::seconds(timeout_seconds);
    return finished(sys::run_process(spec));
}

pid_t start_envpin(const std::vector<std::string>& arguments)
{
    const std::string binary = envpin_binary();
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::vector<std::string> copies = arguments;
        std::vector<char*> argv{const_cast<char*>(binary.c_str())};
        for (auto& argument : copies)
            argv.push_back(argument.data());
        argv.push_back(nullptr);
        ::execv(binary.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

std::string junit_problems(const std::filesystem::path& file)
{
    sys::ProcessSpec spec;
    spec.argv = {"xmllint", "--noout", "--schema", std::string(ENVPIN_SOURCE_DIR) + "/tests/data/junit.xsd",
                 file.string()};
    const auto run = sys::run_process(spec);
    if (!run)
        return "xmllint did not run: " + run.error().describe();
    return run->success() ? "" : run->out + run->err;
}

}  // namespace envpin::test
