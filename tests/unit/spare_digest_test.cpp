// The digest that names a spare's directories (store/lifecycle/spare.hpp): the directory paths
// in order, nothing else.
#include <gtest/gtest.h>

#include "store/core/digest.hpp"
#include "store/lifecycle/spare.hpp"

namespace envpin::store {
namespace {

ManifestEntry directory(std::string path, unsigned mode = 0755)
{
    return {.path = std::move(path), .kind = EntryKind::directory, .mode = mode};
}

ManifestEntry file(std::string path, std::string_view content)
{
    return {.path = std::move(path), .kind = EntryKind::file, .mode = 0644, .size = static_cast<long long>(content.size()),
            .digest = sha256_of(content)};
}

TEST(SpareDigest, FilesAndModesDoNotCountDirectoriesDo)
{
    Manifest one;
    one.entries = {directory("."), directory("a"), file("a/x.py", "X = 1\n"), directory("a/b")};
    Manifest other = one;
    other.entries[2] = file("a/x.py", "X = 2\n");
    other.entries[3].mode = 0555;
    other.entries.push_back(file("a/b/y.py", "Y\n"));
    EXPECT_EQ(directories_digest(one), directories_digest(other));
    EXPECT_EQ(directories_digest(one).size(), 16u);

    other.entries.push_back(directory("a/c"));
    EXPECT_NE(directories_digest(one), directories_digest(other));
}

TEST(SpareDigest, EachPathIsSeparatedFromTheNext)
{
    Manifest joined, split;
    joined.entries = {directory("."), directory("ab"), directory("c")};
    split.entries = {directory("."), directory("a"), directory("bc")};
    EXPECT_NE(directories_digest(joined), directories_digest(split));
}

}  // namespace
}  // namespace envpin::store
