// The README's first command runs examples/quickstart.sh: this runs it against the built binary
// (offline, in its own temporary store), so CI proves the quickstart works as written.
#include <gtest/gtest.h>

#include <cstdlib>

#include "sys/process.hpp"

namespace envpin::test {
namespace {

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

TEST(Quickstart, RunsOfflineFromStartToEnd)
{
    const char* relocated = std::getenv("ENVPIN_TEST_BIN");
    sys::ProcessSpec spec;
    spec.argv = {std::string(ENVPIN_SOURCE_DIR) + "/examples/quickstart.sh"};
    spec.set_env = {{"ENVPIN", relocated != nullptr && *relocated ? relocated : ENVPIN_BIN}};
    spec.timeout = std::chrono::seconds(600);
    const auto result = sys::run_process(spec);
    ASSERT_TRUE(result) << result.error().describe();
    ASSERT_TRUE(result->success()) << result->describe_status() << "\n" << result->out << result->err;
    const auto& out = result->out;
    EXPECT_TRUE(has(out, "created demo at ")) << out;
    EXPECT_TRUE(has(out, "tinyops 1.0.0 works: [5, 8]")) << out;
    EXPECT_TRUE(has(out, "ImportError: tinyops 2.0.0")) << out;
    EXPECT_TRUE(has(out, "reset demo: demo@2 -> demo@1 (verified on this host)")) << out;
    EXPECT_GT(out.rfind("tinyops 1.0.0 works"), out.find("reset demo:")) << out;
}

}  // namespace
}  // namespace envpin::test
