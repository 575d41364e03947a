#include "store/core/agreement.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/ranges.h>

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view rebuild_hint =
    "envpin refuses to use it: going on would let gc delete the files of the snapshots that are not recorded. "
    "`envpin fsck --rebuild-database` rebuilds the database from manifests.git (keeping the old one aside; "
    "verify runs are not in manifests.git and start anew)";

bool database_holds_data(const fs::path& database)
{
    struct ::stat info{};
    return ::stat(database.c_str(), &info) == 0 && info.st_size > 0;
}

}  // namespace

Expected<void> check_database_present(const fs::path& root)
{
    if (database_holds_data(root / "envpin.db"))
        return {};
    std::error_code ec;
    if (!fs::is_directory(root / "manifests.git", ec))
        return {};
    const auto history = ENVPIN_TRY(History::open(root / "manifests.git", OpenMode::read_write));
    const auto branches = ENVPIN_TRY(history.branches());
    if (branches.empty())
        return {};
    std::vector<std::string> names;
    for (const auto& [name, commit] : branches)
        names.push_back(name);
    return fail(ErrorCode::corrupt, "store {}: its database envpin.db is {} but manifests.git holds the history of {}; {}",
                root.string(), fs::exists(root / "envpin.db", ec) ? "empty" : "missing", fmt::join(names, ", "),
                rebuild_hint);
}

Expected<void> check_history_present(const fs::path& root, Metadata& metadata)
{
    std::error_code ec;
    if (fs::is_directory(root / "manifests.git", ec))
        return {};
    const auto snapshots = ENVPIN_TRY(metadata.all_snapshots());
    if (snapshots.empty())
        return {};
    return fail(ErrorCode::corrupt,
                "store {}: manifests.git is missing but the database records {} snapshot(s) ({} ...): their manifests, "
                "the lists of what each snapshot holds, are gone with it; envpin refuses to start a new history over "
                "them (restore manifests.git from a backup; `envpin fsck` then checks the store)",
                root.string(), snapshots.size(), snapshots.front().label());
}

Expected<void> check_agreement(const fs::path& root, Metadata& metadata, const History& history)
{
    std::vector<std::string> unknown;
    for (const auto& [name, commit] : ENVPIN_TRY(history.branches())) {
        const auto environment = ENVPIN_TRY(metadata.find_environment(name));
        const auto matches = ENVPIN_TRY(metadata.snapshots_by_commit_prefix(commit));
        const bool known = environment && std::ranges::any_of(matches, [&](const SnapshotInfo& snapshot) {
            return snapshot.environment_id == environment->id && snapshot.commit == commit;
        });
        if (!known)
            unknown.push_back(fmt::format("{} (at commit {}{})", name, commit.substr(0, 12),
                                          environment ? "" : ", an environment the database does not know"));
    }
    if (unknown.empty())
        return {};
    return fail(ErrorCode::corrupt, "store {}: manifests.git holds snapshots that its database does not record: {}; {}",
                root.string(), fmt::join(unknown, "; "), rebuild_hint);
}

}  // namespace envpin::store
