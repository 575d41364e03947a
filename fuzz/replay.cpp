// Replays the seed corpus and every finding kept in fuzz/corpus/<target>/ through its target:
// what the fuzzers found once stays fixed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/targets.hpp"

namespace envpin::fuzz {
namespace {

TEST(FuzzCorpus, EveryInputOfEveryTargetRunsClean)
{
    const std::filesystem::path corpus = ENVPIN_FUZZ_CORPUS;
    size_t inputs = 0;
    for (const auto target : targets()) {
        const auto folder = corpus / std::string(target);
        ASSERT_TRUE(std::filesystem::is_directory(folder)) << folder;
        for (const auto& entry : std::filesystem::directory_iterator(folder)) {
            std::ifstream file(entry.path(), std::ios::binary);
            std::stringstream bytes;
            bytes << file.rdbuf();
            ASSERT_TRUE(run_target(target, bytes.str()));
            ++inputs;
        }
    }
    EXPECT_GT(inputs, 20u);
}

}  // namespace
}  // namespace envpin::fuzz
