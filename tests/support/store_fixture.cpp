#include "tests/support/store_fixture.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include "store/core/digest.hpp"

namespace envpin::test {
namespace fs = std::filesystem;

TreePicture picture(const fs::path& root)
{
    TreePicture tree;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const auto relative = it->path().lexically_relative(root).string();
        struct stat info{};
        EXPECT_EQ(::lstat(it->path().c_str(), &info), 0);
        const unsigned mode = info.st_mode & 07777;
        if (S_ISLNK(info.st_mode))
            tree[relative] = "l " + fs::read_symlink(it->path()).string();
        else if (S_ISDIR(info.st_mode))
            tree[relative] = fmt::format("d {:04o}", mode);
        else
            tree[relative] = fmt::format("f {:04o} {}", mode, store::sha256_of(read_text(it->path())).hex());
    }
    return tree;
}

TreeDelta delta(const TreePicture& before, const TreePicture& after)
{
    TreeDelta changes;
    for (const auto& [path, what] : after) {
        const auto old = before.find(path);
        if (old == before.end())
            changes.added.push_back(path);
        else if (old->second != what)
            changes.modified.push_back(path);
    }
    for (const auto& [path, what] : before) {
        if (!after.contains(path))
            changes.removed.push_back(path);
    }
    return changes;
}

std::string store_fingerprint(const fs::path& store)
{
    // Background work a command before started (the detach of link-then-copy) would change the
    // store under the comparison: wait for it first.
    // (A store envpin refuses, another user's, is refused by recover too: nothing runs there.)
    if (fs::exists(store / "envpin.db"))
        (void)run_envpin({"--store", store.string(), "recover", "-q"});
    if (!fs::exists(store))
        return "absent";
    std::string all;
    for (const auto& [path, what] : picture(store)) {
        if (path == "lock" || path == "detach.lock" || path == "spare.lock" || path.ends_with("-wal") || path.ends_with("-shm"))
            continue;
        all += path + " " + what + "\n";
    }
    return store::sha256_of(all).hex();
}

int shared_objects(const fs::path& store)
{
    int shared = 0;
    for (const auto& entry : fs::recursive_directory_iterator(store / "objects")) {
        struct stat info{};
        if (::lstat(entry.path().c_str(), &info) == 0 && S_ISREG(info.st_mode) && info.st_nlink > 1)
            ++shared;
    }
    return shared;
}

EnvpinRun StoreTest::envpin(std::vector<std::string> arguments, int timeout_seconds) const
{
    arguments.insert(arguments.begin(), {"--store", store().string()});
    return run_envpin(arguments, {}, timeout_seconds);
}

}  // namespace envpin::test
