#include "store/lifecycle/reset_apply.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "store/lifecycle/tree_builder.hpp"
#include "sys/beneath.hpp"
#include "sys/crash_point.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

using sys::errno_text;
using sys::UniqueFd;

// ENVPIN_RESET_NO_EXCHANGE=1 replaces by two renames, as on a filesystem without
// RENAME_EXCHANGE (for tests and for filesystems that misreport it).
bool exchange_allowed()
{
    const char* value = std::getenv("ENVPIN_RESET_NO_EXCHANGE");
    return value == nullptr || std::string_view(value) != "1";
}

// Where a step's entry lives: a directory descriptor and a name in it. The root's own entry is
// its parent directory and its base name.
struct Place {
    UniqueFd directory;
    std::string name;
};

std::string parent_of(const std::string& path)
{
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string base_of(const std::string& path)
{
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The live tree, reached beneath its root; the staging directory.
struct Trees {
    fs::path environment;
    UniqueFd root;  // invalid while the root is missing
    UniqueFd staging;

    static Expected<Trees> open(const ResetJournal& journal)
    {
        Trees trees{journal.environment, UniqueFd(::open(journal.environment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)),
                    UniqueFd(::open(journal.staging.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))};
        if (!trees.staging)
            return fail(ErrorCode::io, "cannot open {}: {}", journal.staging, errno_text(errno));
        return trees;
    }

    Expected<Place> place(const std::string& path) const
    {
        if (path == ".") {
            UniqueFd parent(::open(environment.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!parent)
                return fail(ErrorCode::io, "cannot open {}: {}", environment.parent_path().string(), errno_text(errno));
            return Place{std::move(parent), environment.filename().string()};
        }
        if (!root)
            return fail(ErrorCode::io, "cannot open {}: it is missing", environment.string());
        const auto parent = parent_of(path);
        return Place{ENVPIN_TRY(sys::open_directory_beneath(root.get(), parent, environment / parent)), base_of(path)};
    }
};

std::optional<struct ::stat> stat_at(int directory, const std::string& name)
{
    struct ::stat info{};
    if (::fstatat(directory, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
        return std::nullopt;
    return info;
}

// rename(2) without replacing: RENAME_NOREPLACE, or where the filesystem lacks it, a check then
// a rename (the store lock keeps other envpin processes out).
int rename_new(int from_dir, const std::string& from, int to_dir, const std::string& to)
{
    const int status = ::renameat2(from_dir, from.c_str(), to_dir, to.c_str(), RENAME_NOREPLACE);
    if (status == 0 || errno != EINVAL)
        return status;
    if (stat_at(to_dir, to)) {
        errno = EEXIST;
        return -1;
    }
    return ::renameat(from_dir, from.c_str(), to_dir, to.c_str());
}

Error step_failed(const Trees& trees, const ResetOp& op, const std::string& what)
{
    return Error{ErrorCode::io, fmt::format("cannot {} {} in {}: {}", to_string(op.step), op.path, trees.environment.string(), what), {}};
}

Expected<void> apply_step(const Trees& trees, const ResetOp& op, size_t index)
{
    const auto staged = staged_name(index);
    if (op.step == ResetStep::chmod) {
        auto fd = op.path == "." ? UniqueFd(::open(trees.environment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
                                 : ENVPIN_TRY(sys::open_directory_beneath(trees.root.get(), op.path, trees.environment / op.path));
        if (!fd || ::fchmod(fd.get(), op.new_mode & 07777) != 0)
            return std::unexpected(step_failed(trees, op, errno_text(errno)));
        return {};
    }
    const auto place = ENVPIN_TRY(trees.place(op.path));
    const int dir = place.directory.get();
    const int staging = trees.staging.get();
    int status = 0;
    switch (op.step) {
    case ResetStep::add:
        status = rename_new(staging, staged, dir, place.name);
        break;
    case ResetStep::remove:
        status = rename_new(dir, place.name, staging, staged);
        break;
    case ResetStep::replace:
        if (exchange_allowed()) {
            status = ::renameat2(staging, staged.c_str(), dir, place.name.c_str(), RENAME_EXCHANGE);
            if (status == 0 || (errno != EINVAL && errno != ENOSYS))
                break;
        }
        // Two renames; undo_steps puts the old entry back from its aside name after a crash.
        status = ::renameat(dir, place.name.c_str(), staging, aside_name(index).c_str());
        if (status == 0)
            status = ::renameat(staging, staged.c_str(), dir, place.name.c_str());
        break;
    case ResetStep::chmod:
        break;
    }
    if (status != 0)
        return std::unexpected(step_failed(trees, op, errno_text(errno)));
    return {};
}

// Takes one step back if it was applied (the staged inode stands at the path).
Expected<void> undo_step(const Trees& trees, const ResetOp& op, size_t index)
{
    const auto staged = staged_name(index);
    const auto aside = aside_name(index);
    if (op.step == ResetStep::chmod) {
        auto fd = op.path == "." ? UniqueFd(::open(trees.environment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
                                 : sys::open_directory_beneath(trees.root.get(), op.path, trees.environment / op.path).value_or(UniqueFd());
        struct ::stat info{};
        if (fd && ::fstat(fd.get(), &info) == 0 && (info.st_mode & 07777) == (op.new_mode & 07777) && op.old_mode != op.new_mode &&
            ::fchmod(fd.get(), op.old_mode & 07777) != 0)
            return std::unexpected(step_failed(trees, op, errno_text(errno)));
        return {};
    }
    auto place = trees.place(op.path);
    if (!place)  // the parent is gone: nothing of this step can be in the live tree
        return {};
    const int dir = place->directory.get();
    const int staging = trees.staging.get();
    const auto now = stat_at(dir, place->name);
    const bool applied = now && op.staged_inode != 0 && static_cast<unsigned long long>(now->st_ino) == op.staged_inode;
    int status = 0;
    switch (op.step) {
    case ResetStep::add:
        if (applied)
            status = rename_new(dir, place->name, staging, staged);
        break;
    case ResetStep::remove:
        if (!now && stat_at(staging, staged))
            status = rename_new(staging, staged, dir, place->name);
        break;
    case ResetStep::replace:
        if (applied && stat_at(staging, aside)) {
            status = ::renameat(dir, place->name.c_str(), staging, staged.c_str());
            if (status == 0)
                status = ::renameat(staging, aside.c_str(), dir, place->name.c_str());
        } else if (applied) {
            status = ::renameat2(staging, staged.c_str(), dir, place->name.c_str(), RENAME_EXCHANGE);
        } else if (!now && stat_at(staging, aside)) {
            status = ::renameat(staging, aside.c_str(), dir, place->name.c_str());
        }
        break;
    case ResetStep::chmod:
        break;
    }
    if (status != 0)
        return fail(ErrorCode::io, "cannot undo the reset's {} of {}: {}", to_string(op.step), op.path, errno_text(errno));
    return {};
}

// Runs `body` on the journal's trees.
template <class Body>
Expected<void> with_trees(const ResetJournal& journal, Body body)
{
    auto opened = Trees::open(journal);
    if (!opened)  // spelled out: ENVPIN_TRY here trips GCC 12's -Wfree-nonheap-object (a false positive)
        return std::unexpected(std::move(opened.error()));
    return body(*opened);
}

}  // namespace

Expected<void> apply_steps(const ResetJournal& journal)
{
    return with_trees(journal, [&](Trees& trees) -> Expected<void> {
        for (size_t i = 0; i < journal.ops.size(); ++i) {
            ENVPIN_TRY(apply_step(trees, journal.ops[i], i));
            sys::crash_point("reset-step");
            if (journal.ops[i].path == "." && !trees.root)  // the root arrived: later steps go beneath it
                trees.root.reset(::open(journal.environment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        }
        return {};
    });
}

Expected<void> undo_steps(const ResetJournal& journal)
{
    return with_trees(journal, [&](Trees& trees) -> Expected<void> {
        for (size_t i = journal.ops.size(); i-- > 0;) {
            if (journal.ops[i].path == ".")  // the root may have moved: reach it afresh
                trees.root.reset();
            ENVPIN_TRY(undo_step(trees, journal.ops[i], i));
            if (!trees.root)
                trees.root.reset(::open(journal.environment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        }
        return {};
    });
}

Expected<void> sync_steps(const ResetJournal& journal)
{
    return with_trees(journal, [&](Trees& trees) -> Expected<void> {
        std::set<std::string> parents;
        for (const auto& op : journal.ops)
            parents.insert(op.path == "." ? std::string("..") : op.step == ResetStep::chmod ? op.path : parent_of(op.path));
        for (const auto& parent : parents) {
            UniqueFd fd;
            if (parent == "..")
                fd.reset(::open(trees.environment.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            else if (trees.root)
                fd = ENVPIN_TRY(sys::open_directory_beneath(trees.root.get(), parent, trees.environment / parent));
            if (fd && ::fsync(fd.get()) != 0)
                return fail(ErrorCode::io, "cannot sync {}: {}", (trees.environment / parent).string(), errno_text(errno));
        }
        if (::fsync(trees.staging.get()) != 0)
            return fail(ErrorCode::io, "cannot sync {}: {}", journal.staging, errno_text(errno));
        return {};
    });
}

Expected<void> dispose_old_entries(const ResetJournal& journal, unsigned threads)
{
    struct ::stat info{};
    if (::lstat(journal.staging.c_str(), &info) != 0)
        return {};  // disposed of already
    if (journal.keep_old) {
        for (size_t i = 0; i < journal.ops.size(); ++i) {
            const auto& op = journal.ops[i];
            if (op.step != ResetStep::replace && op.step != ResetStep::remove)
                continue;
            auto old = fs::path(journal.staging) / aside_name(i);
            if (::lstat(old.c_str(), &info) != 0)
                old = fs::path(journal.staging) / staged_name(i);
            if (::lstat(old.c_str(), &info) != 0)
                continue;  // kept already (a second run after a crash)
            const auto destination = op.path == "." ? fs::path(journal.kept) : fs::path(journal.kept) / op.path;
            std::error_code ec;
            fs::create_directories(destination.parent_path(), ec);
            if (::rename(old.c_str(), destination.c_str()) != 0)
                return fail(ErrorCode::io, "cannot keep the old {} as {}: {}", op.path, destination.string(), errno_text(errno));
        }
    }
    return remove_tree(journal.staging, threads);
}

}  // namespace envpin::store
