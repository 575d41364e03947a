#include "store/lifecycle/create_claim.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <optional>

#include <fmt/format.h>

#include "store/lifecycle/tree_builder.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

fs::path claim_file_for(const fs::path& directory)
{
    return directory.parent_path() / (".envpin-create-" + directory.filename().string());
}

Expected<sys::UniqueFd> open_claim(const fs::path& file, int flags)
{
    sys::UniqueFd fd(::open(file.c_str(), flags | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd)
        return fail(ErrorCode::io, "cannot open {}: {}", file.string(), sys::errno_text(errno));
    return fd;
}

// The claim's lock when nobody holds it; nullopt while a create does.
Expected<std::optional<sys::UniqueFd>> lock_if_free(const fs::path& file)
{
    auto fd = ENVPIN_TRY(open_claim(file, 0));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0)
        return std::optional(std::move(fd));
    if (errno == EWOULDBLOCK)
        return std::optional<sys::UniqueFd>();
    return fail(ErrorCode::io, "cannot lock {}: {}", file.string(), sys::errno_text(errno));
}

Expected<void> remove_file(const fs::path& file)
{
    if (::unlink(file.c_str()) != 0 && errno != ENOENT)
        return fail(ErrorCode::io, "cannot remove {}: {}", file.string(), sys::errno_text(errno));
    return {};
}

}  // namespace

Expected<CreateClaim> CreateClaim::take(const fs::path& top, const fs::path& environment)
{
    const auto file = claim_file_for(top);
    auto fd = ENVPIN_TRY(open_claim(file, O_CREAT));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
        return fail(ErrorCode::busy, "another envpin create is making {} ({} is locked)", top.string(), file.string());
    if (::ftruncate(fd.get(), 0) != 0)
        return fail(ErrorCode::io, "cannot write {}: {}", file.string(), sys::errno_text(errno));
    ENVPIN_TRY(sys::write_all(fd.get(), top.string() + "\n" + environment.string(), file));
    return CreateClaim(file, std::move(fd));
}

CreateClaim::CreateClaim(CreateClaim&& other) noexcept
    : file_(std::exchange(other.file_, {})), fd_(std::move(other.fd_))
{
}

CreateClaim::~CreateClaim()
{
    // Best effort: a claim left behind is taken back by the next create of the path.
    if (!file_.empty())
        ::unlink(file_.c_str());
}

Expected<std::optional<KilledCreate>> find_killed_create(const fs::path& path)
{
    std::error_code ec;
    for (fs::path directory = path; directory.has_relative_path(); directory = directory.parent_path()) {
        const auto claim = claim_file_for(directory);
        if (!fs::is_regular_file(fs::symlink_status(claim, ec)))
            continue;
        const auto lock = ENVPIN_TRY(lock_if_free(claim));
        if (!lock)
            return std::nullopt;  // a create is running: its work is its own
        const auto text = ENVPIN_TRY(sys::read_file(claim));
        const auto newline = text.find('\n');
        if (newline == std::string::npos || text.substr(0, newline) != directory.string())
            return KilledCreate{claim, {}, {}};  // killed before it named what it makes: nothing made
        return KilledCreate{claim, directory, text.substr(newline + 1)};
    }
    return std::nullopt;
}

Expected<void> take_back(const KilledCreate& killed, bool recorded)
{
    const auto lock = ENVPIN_TRY(lock_if_free(killed.claim));
    if (!lock)
        return {};  // another create took it meanwhile
    if (!recorded && !killed.made.empty())
        ENVPIN_TRY_CTX(fmt::format("removing {}, left by a create that was killed", killed.made.string()),
                       remove_tree(killed.made, 0));
    return remove_file(killed.claim);
}

}  // namespace envpin::store
