// The train check's paths that need no working LibTorch: none at all (skip, with the reason)
// and one that cannot be built against (error, with the compiler's words and the log).
#include <gtest/gtest.h>

#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

nlohmann::json train_check(const TempDir& dir, const std::vector<std::string>& extra)
{
    std::vector<std::string> args{"verify", "--path", dir.path().string(), "--only", "train", "--json",
                                  "--store", (dir / "store").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto report = run_envpin(args).json();
    return report["checks"][0];
}

TEST(TrainBuild, NoLibTorchSkipsWithTheReason)
{
    TempDir dir;
    const auto check = train_check(dir, {});
    EXPECT_EQ(check["status"], "skip");
    EXPECT_TRUE(has(check["detail"], "no LibTorch")) << check["detail"];
    EXPECT_TRUE(has(check["detail"], "--torch-dir")) << check["detail"];
}

TEST(TrainBuild, ALibTorchThatCannotBeBuiltAgainstIsAnErrorWithTheLog)
{
    if (!sys::find_on_path("cmake"))
        GTEST_SKIP() << "cmake is not on PATH";
    TempDir dir;
    write_text(dir / "torch/TorchConfig.cmake", "message(FATAL_ERROR \"this LibTorch is broken on purpose\")\n");
    const auto check = train_check(dir, {"--torch-dir", (dir / "torch").string()});
    EXPECT_EQ(check["status"], "error");
    EXPECT_TRUE(has(check["detail"], "cannot build the training probe")) << check["detail"];
    EXPECT_TRUE(has(check["detail"], "broken on purpose")) << check["detail"];
    EXPECT_TRUE(has(check["detail"], ".build.log")) << check["detail"];
    EXPECT_FALSE(check["hint"].get<std::string>().empty());
}

}  // namespace
}  // namespace envpin::test
