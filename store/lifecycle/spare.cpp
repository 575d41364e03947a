#include "store/lifecycle/spare.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/trace.hpp"
#include "store/core/digest.hpp"
#include "store/core/store_lock.hpp"
#include "store/lifecycle/tree_builder.hpp"
#include "store/lifecycle/verdicts.hpp"
#include "store/store.hpp"
#include "sys/beneath.hpp"
#include "sys/crash_point.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kUnfinished = "tmp-";

// ".<name>.envpin-spare-": every spare of the environment starts so.
std::string spare_prefix(const fs::path& environment)
{
    return fmt::format(".{}.envpin-spare-", environment.filename().string());
}

size_t count_directories(const Manifest& manifest)
{
    return static_cast<size_t>(std::ranges::count(manifest.entries, EntryKind::directory, &ManifestEntry::kind));
}

// The names of the environment's spares in its parent directory (finished or not).
std::vector<std::string> spare_names(const fs::path& environment)
{
    std::vector<std::string> names;
    const auto prefix = spare_prefix(environment);
    std::error_code ec;
    for (fs::directory_iterator it(environment.parent_path(), ec), end; !ec && it != end; it.increment(ec))
        if (const auto name = it->path().filename().string(); name.starts_with(prefix))
            names.push_back(name);
    return names;
}

bool finished(const std::string& name, const std::string& prefix)
{
    return !std::string_view(name).substr(prefix.size()).starts_with(kUnfinished);
}

bool a_directory(const fs::path& path)
{
    struct ::stat info{};
    return ::lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// The snapshot a reset would most likely go back to: the newest verified on any host, else the
// current one.
Expected<std::optional<SnapshotInfo>> spare_snapshot(Store& store, const Environment& environment)
{
    const auto verified = ENVPIN_TRY(load_verdicts(store.metadata(), environment, std::nullopt)).verified_snapshots();
    if (!verified.empty())
        return verified.back();
    return store.current_snapshot(environment);
}

// The manifest's directories, empty and owner-only, as a tree at `root` (made here, absent before).
Expected<void> make_directories(const Manifest& manifest, const fs::path& root)
{
    if (::mkdir(root.c_str(), 0700) != 0)
        return fail(ErrorCode::io, "cannot create {}: {}", root.string(), sys::errno_text(errno));
    for (const auto& entry : manifest.entries) {
        if (entry.kind != EntryKind::directory || entry.path == ".")
            continue;
        if (const auto path = root / entry.path; ::mkdir(path.c_str(), 0700) != 0)
            return fail(ErrorCode::io, "cannot create {}: {}", path.string(), sys::errno_text(errno));
        sys::crash_point("spare-directory");
    }
    return {};
}

// The environment's spare for `snapshot`: the name of one already there (renamed to the
// snapshot's when another snapshot with the same directories made it), else a new one; empty
// when the tree is too small to need one.
Expected<std::string> keep_or_make(Store& store, const Environment& environment, const SnapshotInfo& snapshot,
                                   const std::vector<std::string>& names, SpareOutcome& outcome)
{
    const auto prefix = spare_prefix(environment.path);
    const auto mine = fmt::format("{}{}-", prefix, snapshot.id);
    for (const auto& name : names)
        if (name.starts_with(mine))
            return name;
    const auto manifest = ENVPIN_TRY(store.manifest(snapshot));
    if (count_directories(manifest) < kMinSpareDirectories)
        return std::string();
    const auto parent = environment.path.parent_path();
    auto wanted = mine + directories_digest(manifest);
    for (const auto& name : names)  // another snapshot's, with the same directories
        if (finished(name, prefix) && name.ends_with(wanted.substr(mine.size() - 1)) &&
            ::rename((parent / name).c_str(), (parent / wanted).c_str()) == 0)
            return wanted;
    const auto unfinished = parent / sys::random_name(prefix + std::string(kUnfinished));
    auto made = make_directories(manifest, unfinished);
    if (made && ::renameat2(AT_FDCWD, unfinished.c_str(), AT_FDCWD, (parent / wanted).c_str(), RENAME_NOREPLACE) != 0)
        made = fail(ErrorCode::io, "cannot rename {}: {}", unfinished.string(), sys::errno_text(errno));
    if (!made) {
        (void)remove_tree(unfinished, 1);
        return std::unexpected(made.error());
    }
    ++outcome.made;
    outcome.directories += static_cast<long long>(count_directories(manifest)) - 1;
    return wanted;
}

// Removes the spare `name` of `environment`. A finished one is first renamed unfinished, in one
// step: a reset (which never waits for this) either took it before, or can no longer find it,
// and never has its staged tree emptied under it.
Expected<void> retire(const fs::path& environment, const std::string& name)
{
    const auto parent = environment.parent_path();
    auto path = parent / name;
    if (finished(name, spare_prefix(environment))) {
        const auto unfinished = parent / sys::random_name(spare_prefix(environment) + std::string(kUnfinished));
        if (::rename(path.c_str(), unfinished.c_str()) != 0)
            return errno == ENOENT ? Expected<void>() : fail(ErrorCode::io, "cannot rename {}: {}", path.string(), sys::errno_text(errno));
        path = unfinished;
    }
    return remove_tree(path, 1);
}

Expected<void> prepare_spare(Store& store, const Environment& environment, SpareOutcome& outcome)
{
    const auto snapshot = ENVPIN_TRY(spare_snapshot(store, environment));
    if (!snapshot || !a_directory(environment.path.parent_path()))
        return {};
    const auto names = spare_names(environment.path);
    const auto keep = ENVPIN_TRY(keep_or_make(store, environment, *snapshot, names, outcome));
    for (const auto& name : spare_names(environment.path)) {
        if (name == keep)
            continue;
        ENVPIN_TRY(retire(environment.path, name));
        ++outcome.removed;
    }
    return {};
}

}  // namespace

std::string directories_digest(const Manifest& manifest)
{
    Sha256 hash;
    for (const auto& entry : manifest.entries) {
        if (entry.kind != EntryKind::directory)
            continue;
        hash.update(entry.path.data(), entry.path.size() + 1);  // with its terminating NUL
    }
    return hash.finish().hex().substr(0, 16);
}

std::optional<fs::path> find_spare(const fs::path& environment, const Manifest& target)
{
    if (count_directories(target) < kMinSpareDirectories)
        return std::nullopt;
    const auto prefix = spare_prefix(environment);
    const auto ending = "-" + directories_digest(target);
    for (const auto& name : spare_names(environment))
        if (finished(name, prefix) && name.ends_with(ending) && a_directory(environment.parent_path() / name))
            return environment.parent_path() / name;
    return std::nullopt;
}

Expected<SpareOutcome> prepare_spares(const fs::path& root, std::chrono::milliseconds wait)
{
    const auto lock = ENVPIN_TRY(StoreLock::acquire(root / "spare.lock", wait));
    auto store = ENVPIN_TRY(Store::open({.root = root, .access = Access::read}));
    SpareOutcome outcome;
    for (const auto& environment : ENVPIN_TRY(store.metadata().environments())) {
        if (environment.forgotten)
            continue;
        // One environment's parent that cannot be written costs that environment its spare,
        // not the others theirs.
        if (auto prepared = traced("spare directories", [&] { return prepare_spare(store, environment, outcome); }); !prepared)
            outcome.skipped.push_back(fmt::format("{}: {}", environment.name, prepared.error().describe()));
    }
    return outcome;
}

Expected<long long> remove_spares(const fs::path& environment)
{
    long long removed = 0;
    for (const auto& name : spare_names(environment)) {
        ENVPIN_TRY(retire(environment, name));
        ++removed;
    }
    return removed;
}

}  // namespace envpin::store
