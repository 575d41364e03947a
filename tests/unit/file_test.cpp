#include <gtest/gtest.h>
#include <sys/stat.h>

#include "sys/file.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::sys {
namespace {

TEST(AtomicWrite, ReplacesContentAndLeavesNoTemporaryFiles)
{
    test::TempDir dir;
    const auto path = dir / "envpin.lock";
    ASSERT_TRUE(write_file_atomic(path, "old\n"));
    ASSERT_TRUE(write_file_atomic(path, "new\n", 0600));
    EXPECT_EQ(test::read_text(path), "new\n");
    struct stat info{};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
        ++entries;
    EXPECT_EQ(entries, 1);
}

TEST(AtomicWrite, FailsCleanlyInAMissingDirectory)
{
    test::TempDir dir;
    auto result = write_file_atomic(dir / "missing" / "file", "x");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::io);
}

TEST(ReadFile, NotFoundAndTooLarge)
{
    test::TempDir dir;
    EXPECT_EQ(read_file(dir / "absent").error().code, ErrorCode::not_found);
    test::write_text(dir / "big", std::string(100, 'x'));
    EXPECT_EQ(read_file(dir / "big", 10).error().code, ErrorCode::bad_input);
    EXPECT_EQ(read_file(dir / "big", 100).value().size(), 100u);
}

}  // namespace
}  // namespace envpin::sys
