// The suite's host, libs, train and python checks on a GPU machine's own environment (the GPU
// machine's python3 is a venv with a CUDA torch). Skips with the reason without a GPU or
// when python3 is not a virtual environment. The first run builds the training probe
// (set ENVPIN_TEST_STORE to keep the build between runs).
#include <gtest/gtest.h>

#include <cstdlib>

#include "base/strings.hpp"
#include "sys/process.hpp"
#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {

// The root of python3's virtual environment, or "" when it is not one.
std::string python_environment()
{
    sys::ProcessSpec spec;
    spec.argv = {"python3", "-c", "import sys; print(sys.prefix if sys.prefix != sys.base_prefix else '')"};
    spec.timeout = std::chrono::seconds(60);
    const auto run = sys::run_process(spec);
    return run && run->success() ? std::string(trim(run->out)) : std::string();
}

TEST(GpuVerifySuite, HostLibsTrainAndPythonPassOnThisMachinesEnvironment)
{
    const auto host = run_envpin({"host", "--json"}).json();
    if (host["gpus"].empty())
        GTEST_SKIP() << "no GPU visible: " << host["gpu_problem"].dump();
    const auto environment = python_environment();
    if (environment.empty())
        GTEST_SKIP() << "python3 is not a virtual environment";
    TempDir scratch;
    const char* kept = std::getenv("ENVPIN_TEST_STORE");
    const std::string store = kept != nullptr && *kept ? kept : (scratch / "store").string();
    const auto run = run_envpin({"verify", "--path", environment, "--only", "host,libs,train,python", "--json",
                                 "--store", store},
                                {}, 1800);
    const auto report = run.json();
    for (const auto& check : report["checks"])
        EXPECT_EQ(check["status"], "pass") << check["name"] << ": " << check["detail"] << "\nhint: " << check["hint"];
    for (const auto& check : report["checks"]) {
        std::cout << check["name"].get<std::string>() << " " << check["duration_ms"] << " ms: "
                  << check["detail"].get<std::string>() << '\n';
        if (check["name"] == "train") {
            EXPECT_EQ(check["measurements"]["device"], "cuda");
            EXPECT_EQ(check["measurements"]["autocast"], "bf16");
        }
        if (check["name"] == "python") {
            EXPECT_EQ(check["measurements"]["device"], "cuda");
            EXPECT_EQ(check["measurements"]["device_count"], host["gpus"].size());
        }
    }
    EXPECT_EQ(run.exit_code, 0);
}

}  // namespace
}  // namespace envpin::test
