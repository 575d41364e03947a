#include "store/core/git_handles.hpp"

#include <mutex>

#include "store/core/git_stored_objects.hpp"
#include "sys/file.hpp"

namespace envpin::store {

void initialize_libgit2()
{
    static std::once_flag once;
    std::call_once(once, [] {
        git_libgit2_init();
        git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
        // envpin writes each shard's blob itself just before it names it in a tree (and fails
        // then, naming the file, when it cannot): libgit2's check that a named object exists
        // would read each one back, and where that read fails it says only "invalid object
        // specified", without the system's reason.
        git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
    });
}

Error git_failure(std::string_view doing, int code)
{
    const auto* last = git_error_last();
    return Error{ErrorCode::git, fmt::format("{}: {}", doing, last != nullptr && last->message ? last->message : fmt::format("libgit2 error {}", code)), {}};
}

Error git_failure_with_errno(std::string_view doing, int code, int system)
{
    auto error = git_failure(doing, code);
    if (system != 0 && system != ENOENT && system != EEXIST)  // those two are libgit2's probes
        error.message += fmt::format(" ({})", sys::errno_text(system));
    return error;
}

Expected<git_oid> parse_oid(std::string_view hex)
{
    git_oid oid;
    if (hex.size() != GIT_OID_HEXSZ || git_oid_fromstrn(&oid, hex.data(), hex.size()) < 0)
        return fail(ErrorCode::corrupt, "'{}' is not a commit id", hex);
    return oid;
}

std::string oid_hex(const git_oid& oid)
{
    char text[GIT_OID_HEXSZ + 1];
    git_oid_tostr(text, sizeof text, &oid);
    return text;
}

Expected<Repository> open_for_writing(const std::filesystem::path& git_dir)
{
    initialize_libgit2();  // waits for a start-up still running beside (History::open)
    git_repository* raw = nullptr;
    ENVPIN_GIT(fmt::format("cannot open {}", git_dir.string()), git_repository_open_bare(&raw, git_dir.c_str()));
    Repository repository(raw);
    ENVPIN_GIT(fmt::format("cannot open the object database of {}", git_dir.string()),
               add_stored_object_writer(repository.get(), git_dir / "objects"));
    return repository;
}

Expected<git_repository*> WorkerRepositories::get(unsigned worker)
{
    auto& handle = handles_[worker];
    if (!handle)
        handle = ENVPIN_TRY(open_for_writing(git_dir_));
    return handle.get();
}

}  // namespace envpin::store
