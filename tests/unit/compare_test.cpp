// Differences between manifests: what status and diff report.
#include <gtest/gtest.h>

#include "store/lifecycle/compare.hpp"

namespace envpin::store {
namespace {

ManifestEntry file(std::string path, std::string_view content, unsigned mode = 0644, long long mtime = 0)
{
    return {std::move(path), EntryKind::file, mode, static_cast<long long>(content.size()), mtime, sha256_of(content), {}};
}

TEST(Compare, NamesAddedModifiedAndRemovedPaths)
{
    const Manifest before{{}, {file("a", "1"), file("b", "2"), file("c", "3"), file("d", "4")}};
    const Manifest after{{}, {file("a", "1", 0644, 99), file("b", "changed"), file("c", "3", 0755), file("e", "5")}};
    const auto changes = compare(before, after);
    EXPECT_EQ(changes.added, std::vector<std::string>{"e"});
    EXPECT_EQ(changes.modified, (std::vector<std::string>{"b", "c"}));  // content, mode; not a's mtime
    EXPECT_EQ(changes.removed, std::vector<std::string>{"d"});
    EXPECT_FALSE(changes.empty());
    EXPECT_TRUE(compare(before, before).empty());
}

TEST(Compare, DistributionsByNormalizedName)
{
    const Manifest before{{{"Torch", "2.7.1+cu128", "pip", "", "t"}, {"nvidia-nccl-cu12", "2.26.2", "pip", "", "n"},
                           {"old_pkg", "1.0", "pip", "", "o"}},
                          {}};
    const Manifest after{{{"torch", "2.8.0+cu128", "uv", "", "t2"}, {"nvidia-nccl-cu12", "2.26.2", "uv", "", "n"},
                          {"new-pkg", "0.1", "uv", "", "p"}},
                         {}};
    const auto changes = compare(before, after);
    ASSERT_EQ(changes.distributions.size(), 3u);
    EXPECT_EQ(changes.distributions[0], (DistributionChange{"new-pkg", std::nullopt, "0.1"}));
    EXPECT_EQ(changes.distributions[1], (DistributionChange{"old_pkg", "1.0", std::nullopt}));
    EXPECT_EQ(changes.distributions[2], (DistributionChange{"torch", "2.7.1+cu128", "2.8.0+cu128"}));
}

}  // namespace
}  // namespace envpin::store
