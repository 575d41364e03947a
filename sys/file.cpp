#include "sys/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

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

Expected<void> write_keeping_holes(int fd, std::string_view content, const fs::path& path)
{
    const bool zeros = std::ranges::all_of(content, [](char c) { return c == 0; });
    if (!zeros)
        return write_all(fd, content, path);
    if (::lseek(fd, static_cast<off_t>(content.size()), SEEK_CUR) < 0)
        return fail(ErrorCode::io, "cannot write {}: {}", path.string(), errno_text(errno));
    return {};
}

Expected<void> end_keeping_holes(int fd, const fs::path& path)
{
    const off_t size = ::lseek(fd, 0, SEEK_CUR);
    if (size < 0 || ::ftruncate(fd, size) != 0)
        return fail(ErrorCode::io, "cannot write {}: {}", path.string(), errno_text(errno));
    return {};
}

namespace {

// Copies [begin, end) of `source` to the same offsets of `target`.
Expected<void> copy_range(int source, int target, off_t begin, off_t end, bool& kernel, const fs::path& what)
{
    std::vector<char> buffer;
    while (begin < end) {
        if (kernel) {
            off_t in = begin, out = begin;
            const ssize_t n = ::copy_file_range(source, &in, target, &out, static_cast<size_t>(end - begin), 0);
            if (n > 0) {
                begin += n;
                continue;
            }
            if (n == 0)
                return fail(ErrorCode::io, "cannot copy {}: it shrank while it was copied", what.string());
            if (errno == EINTR)
                continue;
            if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return fail(ErrorCode::io, "cannot copy {}: {}", what.string(), errno_text(errno));
            kernel = false;
        }
        if (buffer.empty())
            buffer.resize(1u << 20);
        const ssize_t n = ::pread(source, buffer.data(), std::min<size_t>(buffer.size(), static_cast<size_t>(end - begin)), begin);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(ErrorCode::io, "cannot read {}: {}", what.string(), n == 0 ? "it shrank while it was copied" : errno_text(errno));
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = ::pwrite(target, buffer.data() + done, static_cast<size_t>(n - done), begin + done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return fail(ErrorCode::io, "cannot write the copy of {}: {}", what.string(), errno_text(errno));
            done += w;
        }
        begin += n;
    }
    return {};
}

}  // namespace

Expected<void> copy_keeping_holes(int source, int target, const fs::path& what)
{
    struct ::stat info{};
    if (::fstat(source, &info) != 0)
        return fail(ErrorCode::io, "cannot stat {}: {}", what.string(), errno_text(errno));
    const off_t size = info.st_size;
    bool kernel = true;
    for (off_t position = 0; position < size;) {
        off_t data = ::lseek(source, position, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            break;  // a hole to the end
        off_t hole = data < 0 ? size : ::lseek(source, data, SEEK_HOLE);
        if (data < 0) {  // no SEEK_DATA here: everything is data
            data = position;
        }
        if (hole < 0 || hole > size)
            hole = size;
        ENVPIN_TRY(copy_range(source, target, data, hole, kernel, what));
        position = hole;
    }
    if (::ftruncate(target, size) != 0)
        return fail(ErrorCode::io, "cannot write the copy of {}: {}", what.string(), errno_text(errno));
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
