// Snapshot references and environment names.
#include <gtest/gtest.h>

#include "store/core/ref.hpp"

namespace envpin::store {
namespace {

TEST(SnapshotRefs, ParsesEveryForm)
{
    EXPECT_EQ(parse_ref("train").value(), (SnapshotRef{SnapshotRef::Kind::bare, "train", 0}));
    EXPECT_EQ(parse_ref("train@3").value(), (SnapshotRef{SnapshotRef::Kind::seq, "train", 3}));
    EXPECT_EQ(parse_ref("train@~0").value(), (SnapshotRef{SnapshotRef::Kind::back, "train", 0}));
    EXPECT_EQ(parse_ref("my.env-2@~12").value(), (SnapshotRef{SnapshotRef::Kind::back, "my.env-2", 12}));
    EXPECT_EQ(parse_ref("3f2a9c").value(), (SnapshotRef{SnapshotRef::Kind::bare, "3f2a9c", 0}));
}

TEST(SnapshotRefs, RefusesMalformedOnes)
{
    for (const char* bad : {"", "train@", "train@0", "train@-1", "train@~", "train@~x", "train@x", "@3",
                            "../x@1", "train@1@2", "train@99999999999999999999"}) {
        const auto ref = parse_ref(bad);
        ASSERT_FALSE(ref) << bad;
        EXPECT_EQ(ref.error().code, ErrorCode::bad_input) << bad;
        EXPECT_NE(ref.error().describe().find(bad), std::string::npos) << ref.error().describe();
    }
}

TEST(EnvironmentNames, AreValidGitBranchNames)
{
    for (const char* good : {"train", "a", "py3.12-cu128", "x_y"})
        EXPECT_TRUE(check_environment_name(good)) << good;
    for (const char* bad : {"", ".hidden", "-x", "a..b", "x.lock", "x.", "a/b", "a b", "a@b", "a~1", "a:b",
                            "caf\xc3\xa9"})
        EXPECT_FALSE(check_environment_name(bad)) << bad;
    EXPECT_FALSE(check_environment_name(std::string(65, 'a')));
}

TEST(CommitPrefixes, AreFourToFortyHexDigits)
{
    EXPECT_TRUE(looks_like_commit_prefix("3f2a"));
    EXPECT_TRUE(looks_like_commit_prefix(std::string(40, 'a')));
    EXPECT_FALSE(looks_like_commit_prefix("3f2"));
    EXPECT_FALSE(looks_like_commit_prefix("train"));
    EXPECT_FALSE(looks_like_commit_prefix(std::string(41, 'a')));
}

}  // namespace
}  // namespace envpin::store
