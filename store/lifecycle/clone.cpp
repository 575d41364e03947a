#include "store/lifecycle/clone.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/trace.hpp"
#include "store/core/ref.hpp"
#include "store/lifecycle/detach.hpp"
#include "store/lifecycle/observe.hpp"
#include "store/lifecycle/tree_builder.hpp"
#include "sys/beneath.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

// The path must be free: nothing there, or an empty directory (removed, then built anew).
Expected<fs::path> check_destination(const fs::path& path)
{
    if (path.empty())
        return fail(ErrorCode::bad_input, "clone: the path is empty");
    auto absolute = fs::absolute(path).lexically_normal();
    if (absolute.filename().empty())
        absolute = absolute.parent_path();
    struct ::stat info{};
    if (::lstat(absolute.c_str(), &info) == 0) {
        std::error_code ec;
        if (!S_ISDIR(info.st_mode) || !fs::is_empty(absolute, ec))
            return fail(ErrorCode::already_exists, "{} already exists (clone needs a new path or an empty directory)",
                        absolute.string());
        if (::rmdir(absolute.c_str()) != 0)
            return fail(ErrorCode::io, "cannot use {}: {}", absolute.string(), sys::errno_text(errno));
    }
    std::error_code ec;
    fs::create_directories(absolute.parent_path(), ec);
    if (ec)
        return fail(ErrorCode::io, "cannot create {}: {}", absolute.parent_path().string(), ec.message());
    return absolute;
}

// Replaces every occurrence of `from` in `text`; true when there was one.
bool replace_all(std::string& text, const std::string& from, const std::string& to)
{
    bool found = false;
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
        found = true;
    }
    return found;
}

// A venv names its own path in bin/ (script shebangs, activate scripts) and in pyvenv.cfg's
// `command` line. Each such text file is rewritten as a new file renamed over the old one: the
// old one may be an object's inode, which must not change.
Expected<long long> rewrite_venv_paths(const fs::path& tree, const fs::path& old_root, const fs::path& new_root)
{
    std::vector<fs::path> candidates{tree / "pyvenv.cfg"};
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(tree / "bin", ec))
        if (entry.is_regular_file(ec) && !entry.is_symlink(ec))
            candidates.push_back(entry.path());
    long long rewritten = 0;
    for (const auto& file : candidates) {
        struct ::stat info{};
        if (::lstat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_size > (1 << 20))
            continue;
        auto text = ENVPIN_TRY(sys::read_file(file, 1 << 20));
        if (text.starts_with("\x7f" "ELF") || !replace_all(text, old_root.string(), new_root.string()))
            continue;
        const auto next = file.string() + ".envpin-new";
        ENVPIN_TRY(sys::write_file_atomic(next, text, info.st_mode & 07777));
        const timespec times[2] = {{0, UTIME_OMIT}, info.st_mtim};
        ::utimensat(AT_FDCWD, next.c_str(), times, AT_SYMLINK_NOFOLLOW);
        if (::rename(next.c_str(), file.c_str()) != 0)
            return fail(ErrorCode::io, "cannot rewrite {}: {}", file.string(), sys::errno_text(errno));
        ++rewritten;
    }
    return rewritten;
}

LinkMode build_mode(Store& store, const fs::path& parent, LinkMode requested)
{
    sys::UniqueFd fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        return LinkMode::copy;
    return store.objects().effective_mode(fd.get(), parent, requested).value_or(LinkMode::copy);
}

}  // namespace

Expected<CloneOutcome> clone_environment(Store& store, const CloneRequest& request)
{
    ENVPIN_TRY(check_environment_name(request.name));
    if (const auto taken = ENVPIN_TRY(store.metadata().find_environment(request.name)))
        return name_in_use(*taken);
    CloneOutcome outcome;
    outcome.source = ENVPIN_TRY(store.resolve(request.ref));
    const auto source = ENVPIN_TRY(store.environment(outcome.source.environment, true));  // a forgotten one too
    const auto manifest = ENVPIN_TRY(store.manifest(outcome.source));
    const auto path = ENVPIN_TRY(check_destination(request.path));
    const auto requested = request.link_mode.value_or(source.link_mode);
    const auto mode = for_bytes(build_mode(store, path.parent_path(), requested),
                                bytes_to_build(manifest, {SubtreeJob{".", path}}));
    // Built in a private directory beside the path, then renamed into place.
    const long long started_ns = wall_clock_ns();
    const auto staging = ENVPIN_TRY(sys::make_private_directory(path.parent_path(), fmt::format(".{}.envpin-clone-", path.filename().string())));
    auto made = [&]() -> Expected<TreeBuild> {
        auto built = ENVPIN_TRY(traced("build tree", [&] {
            return build_tree(manifest, staging / "tree", store.objects(), {mode, request.threads, true});
        }));
        outcome.rewritten = ENVPIN_TRY(rewrite_venv_paths(staging / "tree", source.path, path));
        if (::renameat2(AT_FDCWD, (staging / "tree").c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0)
            return fail(ErrorCode::io, "cannot move the clone to {}: {}", path.string(), sys::errno_text(errno));
        ENVPIN_TRY(sys::fsync_directory(path.parent_path()));
        return built;
    }();
    (void)remove_tree(staging, request.threads);
    if (!made)
        return std::unexpected(made.error().with_context(fmt::format("cloning {} to {}", outcome.source.label(), path.string())));
    AdoptOptions adopt_options{path, request.name, requested, {}};
    adopt_options.snapshot = {.reason = "clone", .message = "from " + outcome.source.label(), .threads = request.threads,
                              .progress = request.progress};
    auto adopted = adopt(store, adopt_options);
    if (!adopted) {
        (void)remove_tree(path, request.threads);
        return std::unexpected(adopted.error());
    }
    outcome.adopted = std::move(*adopted);
    outcome.files = made->files;
    outcome.linked_files = made->linked;
    // The objects the build linked are shared with the clone's files until the detach copies them.
    if (mode == LinkMode::link_then_copy && !made->linked_objects.empty()) {
        auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database()));
        ENVPIN_TRY(queue_detach(store.metadata(), outcome.adopted.snapshot.environment_id, outcome.adopted.snapshot.id,
                                made->linked_objects, outcome.adopted.snapshot.files, started_ns));
        ENVPIN_TRY(transaction.commit());
        store.start_background();
        outcome.detach_pending = true;
    }
    return outcome;
}

}  // namespace envpin::store
