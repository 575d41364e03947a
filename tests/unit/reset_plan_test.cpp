// The reset plan on manifest values: only what differs is touched, as whole entries.
#include <gtest/gtest.h>

#include "store/lifecycle/reset_plan.hpp"

namespace envpin::store {
namespace {

ManifestEntry dir(std::string path, unsigned mode = 0755)
{
    return {std::move(path), EntryKind::directory, mode};
}

ManifestEntry file(std::string path, char content, unsigned mode = 0644)
{
    ManifestEntry entry{std::move(path), EntryKind::file, mode, 1, 0};
    entry.digest.bytes.fill(static_cast<unsigned char>(content));
    return entry;
}

ManifestEntry link(std::string path, std::string target)
{
    ManifestEntry entry{std::move(path), EntryKind::symlink};
    entry.target = std::move(target);
    return entry;
}

Manifest manifest(std::vector<ManifestEntry> entries)
{
    Manifest result{{}, std::move(entries)};
    sort_manifest(result);
    return result;
}

std::vector<std::string> described(const std::vector<ResetOp>& ops)
{
    std::vector<std::string> text;
    for (const auto& op : ops)
        text.push_back(std::string(to_string(op.step)) + " " + op.path);
    return text;
}

const Manifest base = manifest({dir("."), dir("bin"), file("bin/python", 'p', 0755), dir("lib"), dir("lib/torch"),
                                file("lib/torch/a.py", 'a'), file("lib/torch/b.py", 'b'), dir("lib/torch/nn"),
                                file("lib/torch/nn/c.py", 'c'), dir("lib/torch-x"), file("lib/torch-x/d", 'd'),
                                link("bin/py", "python")});

TEST(ResetPlan, TheSameTreeNeedsNoStep)
{
    EXPECT_TRUE(plan_reset(base, base).empty());
}

TEST(ResetPlan, OneChangedFileIsOneReplace)
{
    auto changed = base;
    for (auto& entry : changed.entries)
        if (entry.path == "lib/torch/a.py")
            entry.digest.bytes[0] ^= 1;
    EXPECT_EQ(described(plan_reset(changed, base)), std::vector<std::string>{"replace lib/torch/a.py"});
}

TEST(ResetPlan, AMissingDirectoryComesBackAsOneAddAndAnExtraOneGoesAsOneRemove)
{
    auto without = manifest({dir("."), dir("bin"), file("bin/python", 'p', 0755), dir("lib"), dir("lib/torch-x"),
                             file("lib/torch-x/d", 'd'), link("bin/py", "python"), dir("lib/extra"),
                             file("lib/extra/e", 'e')});
    EXPECT_EQ(described(plan_reset(without, base)),
              (std::vector<std::string>{"add lib/torch", "remove lib/extra"}));
}

TEST(ResetPlan, AKindChangeReplacesTheWholeEntry)
{
    auto changed = manifest({dir("."), dir("bin"), file("bin/python", 'p', 0755), dir("lib"), file("lib/torch", 't'),
                             dir("lib/torch-x"), file("lib/torch-x/d", 'd'), link("bin/py", "python3")});
    EXPECT_EQ(described(plan_reset(changed, base)),
              (std::vector<std::string>{"replace bin/py", "replace lib/torch"}));
}

TEST(ResetPlan, ModeChangesOfFilesReplaceAndOfDirectoriesChmodLast)
{
    auto changed = base;
    for (auto& entry : changed.entries) {
        if (entry.path == "bin/python")
            entry.mode = 0644;
        if (entry.path == "lib/torch")
            entry.mode = 0700;
    }
    const auto ops = plan_reset(changed, base);
    EXPECT_EQ(described(ops), (std::vector<std::string>{"replace bin/python", "chmod lib/torch"}));
    EXPECT_EQ(ops[1].old_mode, 0700u);
    EXPECT_EQ(ops[1].new_mode, 0755u);
}

TEST(ResetPlan, AMissingRootIsOneAddAndAFileAtTheRootOneReplace)
{
    EXPECT_EQ(described(plan_reset(Manifest{}, base)), std::vector<std::string>{"add ."});
    const auto a_file = manifest({{".", EntryKind::file, 0, -1}});
    EXPECT_EQ(described(plan_reset(a_file, base)), std::vector<std::string>{"replace ."});
}

TEST(ResetPlan, AnEmptiedRootGetsEachTopEntryBack)
{
    EXPECT_EQ(described(plan_reset(manifest({dir(".")}), base)), (std::vector<std::string>{"add bin", "add lib"}));
}

TEST(ResetPlan, SiblingsThatSortBetweenAParentAndItsChildrenAreNotTakenForChildren)
{
    // "lib/torch-x" sorts between "lib/torch" and "lib/torch/a.py"; removing lib/torch must not
    // swallow lib/torch-x.
    auto without = base;
    std::erase_if(without.entries, [](const ManifestEntry& entry) {
        return entry.path == "lib/torch-x" || entry.path.starts_with("lib/torch-x/");
    });
    EXPECT_EQ(described(plan_reset(base, without)), std::vector<std::string>{"remove lib/torch-x"});
    EXPECT_EQ(described(plan_reset(without, base)), std::vector<std::string>{"add lib/torch-x"});
}

}  // namespace
}  // namespace envpin::store
