#include "sys/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sys/unique_fd.hpp"

namespace envpin::sys {
namespace fs = std::filesystem;

std::string errno_text(int error_number)
{
    return std::strerror(error_number);
}

Expected<std::string> read_file(const fs::path& path, size_t max_bytes)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        const int error = errno;
        return fail(error == ENOENT ? ErrorCode::not_found : ErrorCode::io, "cannot open {}: {}",
                    path.string(), errno_text(error));
    }
    std::string content;
    char buffer[65536];
    while (true) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(ErrorCode::io, "cannot read {}: {}", path.string(), errno_text(errno));
        }
        if (n == 0)
            return content;
        if (content.size() + static_cast<size_t>(n) > max_bytes)
            return fail(ErrorCode::bad_input, "{} is larger than {} bytes", path.string(),
                        max_bytes);
        content.append(buffer, static_cast<size_t>(n));
    }
}

Expected<void> fsync_directory(const fs::path& directory)
{
    UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0)
        return fail(ErrorCode::io, "cannot fsync directory {}: {}", directory.string(),
                    errno_text(errno));
    return {};
}

Expected<void> write_all(int fd, std::string_view content, const fs::path& path)
{
    while (!content.empty()) {
        const ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(ErrorCode::io, "cannot write {}: {}", path.string(), errno_text(errno));
        }
        content.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Expected<void> sync_filesystem_of(const fs::path& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::syncfs(fd.get()) != 0)
        return fail(ErrorCode::io, "cannot sync the filesystem of {}: {}", path.string(), errno_text(errno));
    return {};
}

Expected<void> write_file_atomic(const fs::path& path, std::string_view content, unsigned mode)
{
    const fs::path directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::string temp_name = (directory / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
    UniqueFd fd(::mkostemp(temp_name.data(), O_CLOEXEC));
    if (!fd)
        return fail(ErrorCode::io, "cannot create a temporary file beside {}: {}", path.string(),
                    errno_text(errno));
    auto cleanup_on_error = [&](Error error) -> Expected<void> {
        ::unlink(temp_name.c_str());
        return std::unexpected(std::move(error));
    };
    if (auto written = write_all(fd.get(), content, temp_name); !written)
        return cleanup_on_error(written.error());
    if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0)
        return cleanup_on_error(
            Error{ErrorCode::io, fmt::format("cannot sync {}: {}", temp_name, errno_text(errno))});
    fd.reset();
    if (::rename(temp_name.c_str(), path.c_str()) != 0)
        return cleanup_on_error(Error{ErrorCode::io, fmt::format("cannot rename onto {}: {}",
                                                                 path.string(), errno_text(errno))});
    return fsync_directory(directory);
}

fs::path self_executable()
{
    std::error_code ec;
    auto path = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path("envpin") : path;
}

}  // namespace envpin::sys
