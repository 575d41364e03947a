// shard_changes: a target shard's text compared line by line with the live tree's entries of
// that shard. What it returns must be exactly what differs (so that a reset plans from it the
// steps a whole parse would give), and a target that a whole parse refuses is refused.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "base/strings.hpp"
#include "store/core/manifest.hpp"
#include "tests/support/manifest_entries.hpp"

namespace envpin::store {
namespace {

const std::string site = "lib/python3.12/site-packages";

using test::directory;
using test::file;
using test::symlink;

// The "env" entries every shard's top directories sit in.
std::vector<ManifestEntry> outside()
{
    return {directory("."), directory("lib"), directory("lib/python3.12"), directory(site)};
}

// torch's shard: a few thousand entries in directories of 20 files, megabytes of text (many
// 64 KB pieces), and a symlink.
std::vector<ManifestEntry> torch_shard(int directories = 150)
{
    std::vector<ManifestEntry> entries = {directory(site + "/torch"), file(site + "/torch/__init__.py", "import"),
                                          symlink(site + "/torch/lib64", "lib")};
    for (int d = 0; d < directories; ++d) {
        const auto dir = fmt::format("{}/torch/module_{:04d}", site, d);
        entries.push_back(directory(dir));
        for (int f = 0; f < 20; ++f)
            entries.push_back(file(fmt::format("{}/part_{:02d}_with_a_longer_name.py", dir, f), fmt::format("{}-{}", d, f)));
    }
    std::ranges::sort(entries, {}, &ManifestEntry::path);
    return entries;
}

std::vector<const ManifestEntry*> pointers(const std::vector<ManifestEntry>& entries)
{
    std::vector<const ManifestEntry*> all;
    for (const auto& entry : entries)
        all.push_back(&entry);
    return all;
}

// The entries as the text of shard "site-packages-t" (whether they belong there or not).
FileShard text_of(const std::vector<ManifestEntry>& entries)
{
    return {"site-packages-t", print_file_shard({"site-packages-t", pointers(entries)})};
}

// What the comparison must find: the target's entries the live tree lacks or holds otherwise,
// and the paths of both sides that are not held identically by the other.
ShardChanges expected_changes(const std::vector<ManifestEntry>& live, const std::vector<ManifestEntry>& target)
{
    std::map<std::string, const ManifestEntry*> live_at, target_at;
    for (const auto& entry : live)
        live_at[entry.path] = &entry;
    for (const auto& entry : target)
        target_at[entry.path] = &entry;
    const auto held = [](const std::map<std::string, const ManifestEntry*>& side, const ManifestEntry& entry) {
        const auto found = side.find(entry.path);
        return found != side.end() && *found->second == entry;
    };
    ShardChanges expected;
    std::set<std::string> paths;
    for (const auto& entry : target)
        if (!held(live_at, entry)) {
            expected.target.push_back(entry);
            paths.insert(entry.path);
        }
    for (const auto& entry : live)
        if (!held(target_at, entry))
            paths.insert(entry.path);
    expected.paths.assign(paths.begin(), paths.end());
    return expected;
}

Expected<ShardChanges> compare(const std::vector<ManifestEntry>& live, const std::vector<ManifestEntry>& target)
{
    return shard_changes(text_of(target), pointers(live), outside());
}

TEST(ShardChanges, AShardLikeTheLiveTreeChangesNothing)
{
    const auto live = torch_shard();
    ASSERT_GT(text_of(live).text.size(), size_t{4} << 16);  // several pieces
    const auto changes = compare(live, live);
    ASSERT_TRUE(changes) << changes.error().describe();
    EXPECT_TRUE(changes->target.empty());
    EXPECT_TRUE(changes->paths.empty());
}

TEST(ShardChanges, OneChangedFileIsTheOnlyEntry)
{
    const auto target = torch_shard();
    auto live = target;
    auto& changed = live[1234];
    ASSERT_EQ(changed.kind, EntryKind::file);
    changed.digest = sha256_of("edited in place");
    const auto changes = compare(live, target);
    ASSERT_TRUE(changes) << changes.error().describe();
    ASSERT_EQ(changes->target.size(), 1u);
    EXPECT_EQ(changes->target.front(), target[1234]);
    EXPECT_EQ(changes->paths, std::vector<std::string>{target[1234].path});
}

// Random adds, removes and changes (content, mode, mtime, kind, a directory that becomes a
// file), many at piece edges by chance: the result is exactly what differs, whatever the cut.
TEST(ShardChanges, FindsExactlyWhatDiffersWhereverThePiecesAreCut)
{
    const auto base = torch_shard();
    for (unsigned seed = 1; seed <= 40; ++seed) {
        std::mt19937 random(seed);
        auto live = base, target = base;
        const int edits = 1 + static_cast<int>(random() % 60);
        for (int k = 0; k < edits; ++k) {
            auto& side = random() % 2 == 0 ? live : target;
            const size_t i = 1 + random() % (side.size() - 1);
            auto& entry = side[i];
            switch (random() % 5) {
            case 0:  // a new file beside
                side.push_back(file(fmt::format("{}_new{}", entry.path, k), "new"));
                break;
            case 1:  // gone (with what is below it)
                if (entry.kind != EntryKind::directory)
                    side.erase(side.begin() + static_cast<std::ptrdiff_t>(i));
                break;
            case 2:
                entry.mode = entry.kind == EntryKind::symlink ? 0 : 0700;
                break;
            case 3:
                if (entry.kind == EntryKind::file)
                    entry.mtime_ns += 1;
                break;
            default:
                if (entry.kind == EntryKind::file)
                    entry.digest = sha256_of(fmt::format("edit {} {}", seed, k));
                break;
            }
            std::ranges::sort(side, {}, &ManifestEntry::path);
        }
        const auto changes = compare(live, target);
        ASSERT_TRUE(changes) << "seed " << seed << ": " << changes.error().describe();
        const auto expected = expected_changes(live, target);
        EXPECT_EQ(changes->target, expected.target) << "seed " << seed;
        EXPECT_EQ(changes->paths, expected.paths) << "seed " << seed;
    }
}

TEST(ShardChanges, ALiveTreeWithoutTheShardTakesItWhole)
{
    const auto target = torch_shard(10);
    const auto changes = compare({}, target);
    ASSERT_TRUE(changes) << changes.error().describe();
    EXPECT_EQ(changes->target, target);
}

TEST(ShardChanges, AShardWithoutEntriesRemovesEveryLiveOne)
{
    const auto live = torch_shard(2);
    const auto changes = shard_changes({"site-packages-t", "envpin-files 1\n"}, pointers(live), outside());
    ASSERT_TRUE(changes) << changes.error().describe();
    EXPECT_TRUE(changes->target.empty());
    EXPECT_EQ(changes->paths, expected_changes(live, {}).paths);
}

// Order is checked over every line, the unparsed equal ones too: a second line for a path whose
// first line was equal to the tree's, or lines out of order across a piece's edge, are refused.
TEST(ShardChanges, RefusesDuplicatedAndUnsortedLinesBesideEqualOnes)
{
    const auto live = torch_shard();
    {
        auto text = text_of(live);
        auto duplicate = live[500];
        ASSERT_EQ(duplicate.kind, EntryKind::file);
        duplicate.digest = sha256_of("another");
        std::string line;
        for (const auto& shard : print_file_shards({directory("."), duplicate}))
            if (shard.name == "site-packages-t")
                line = shard.text.substr(shard.text.find('\n') + 1);
        ASSERT_FALSE(line.empty());
        const auto after = text.text.find(live[500].path + "\n");
        ASSERT_NE(after, std::string::npos);
        text.text.insert(after + live[500].path.size() + 1, line);
        const auto changes = shard_changes(text, pointers(live), outside());
        ASSERT_FALSE(changes);
        EXPECT_NE(changes.error().describe().find("not sorted and unique"), std::string::npos) << changes.error().describe();
    }
    {
        auto swapped = live;  // the last two entries swapped: the end of the last piece
        std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
        const auto changes = shard_changes(text_of(swapped), pointers(live), outside());
        ASSERT_FALSE(changes);
        EXPECT_NE(changes.error().describe().find("not sorted and unique"), std::string::npos) << changes.error().describe();
    }
    {
        auto moved = live;  // an entry from the end moved to the start: out of order across pieces
        std::rotate(moved.begin(), moved.end() - 1, moved.end());
        const auto changes = shard_changes(text_of(moved), pointers(live), outside());
        ASSERT_FALSE(changes);
        EXPECT_NE(changes.error().describe().find("not sorted and unique"), std::string::npos) << changes.error().describe();
    }
}

TEST(ShardChanges, AMalformedLineNamesTheShardAndTheLine)
{
    const auto live = torch_shard();
    auto text = text_of(live);
    const auto at = text.text.find("module_0100/part_03");
    ASSERT_NE(at, std::string::npos);
    text.text.insert(text.text.rfind('\n', at) + 1, "?");
    const auto changes = shard_changes(text, pointers(live), outside());
    ASSERT_FALSE(changes);
    const auto said = changes.error().describe();
    EXPECT_NE(said.find("shard 'site-packages-t'"), std::string::npos) << said;
    // the header, then torch/, __init__.py, 100 directories of 21 lines, module_0100/, part_00..02
    EXPECT_NE(said.find(fmt::format("line {}", 1 + 3 + 100 * 21 + 1 + 3 + 1)), std::string::npos) << said;
}

// As validate_entries: a path through a symlink, an entry of another shard, or a top directory
// whose parent is not known are refused, even when the entries below are unchanged.
TEST(ShardChanges, RefusesWhatAWholeParseRefuses)
{
    const auto live = torch_shard(3);
    {
        auto target = live;  // module_0001 a symlink, its files still listed below it
        auto found = std::ranges::find(target, site + "/torch/module_0001", &ManifestEntry::path);
        *found = symlink(found->path, "/etc");
        const auto changes = compare(live, target);
        ASSERT_FALSE(changes);
        EXPECT_NE(changes.error().describe().find("parent is not a directory"), std::string::npos) << changes.error().describe();
    }
    {
        auto target = live;
        target.push_back(file(site + "/six.py", "six"));
        std::ranges::sort(target, {}, &ManifestEntry::path);
        const auto changes = compare(live, target);
        ASSERT_FALSE(changes);
        EXPECT_NE(changes.error().describe().find("belongs in shard 'site-packages-s'"), std::string::npos)
            << changes.error().describe();
    }
    {
        auto target = live;
        target.front().mode = 0700;  // torch/ itself differs: its parent must be known
        const auto changes = shard_changes(text_of(target), pointers(live), {});
        ASSERT_FALSE(changes);
        EXPECT_NE(changes.error().describe().find("parent is not a directory"), std::string::npos) << changes.error().describe();
        EXPECT_TRUE(compare(live, target)) << "with the site-packages directory known";
    }
}

}  // namespace
}  // namespace envpin::store
