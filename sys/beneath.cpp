#include "sys/beneath.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "sys/file.hpp"

namespace envpin::sys {
namespace fs = std::filesystem;
namespace {

constexpr int directory_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

int openat2_beneath(int root_fd, const std::string& relative)
{
    open_how how{};
    how.flags = directory_flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how));
}

// One component at a time, each opened with O_NOFOLLOW from the one before.
int open_by_components(int root_fd, const std::string& relative)
{
    UniqueFd current(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
    size_t begin = 0;
    while (current && begin < relative.size()) {
        size_t end = relative.find('/', begin);
        if (end == std::string::npos)
            end = relative.size();
        const auto part = relative.substr(begin, end - begin);
        if (part == "..") {
            errno = EXDEV;
            return -1;
        }
        if (!part.empty() && part != ".")
            current.reset(::openat(current.get(), part.c_str(), directory_flags));
        begin = end + 1;
    }
    return current ? current.release() : -1;
}

}  // namespace

Expected<UniqueFd> open_directory_beneath(int root_fd, const std::string& relative, const fs::path& what)
{
    static std::atomic<bool> no_openat2{false};
    int fd = -1;
    if (!no_openat2.load(std::memory_order_relaxed)) {
        fd = openat2_beneath(root_fd, relative);
        if (fd < 0 && (errno == ENOSYS || errno == EPERM))  // EPERM: a seccomp filter refusing it
            no_openat2.store(true, std::memory_order_relaxed);
    }
    if (no_openat2.load(std::memory_order_relaxed))
        fd = open_by_components(root_fd, relative);
    if (fd < 0)
        return fail(ErrorCode::io, "cannot open directory {}: {}", what.string(), errno_text(errno));
    return UniqueFd(fd);
}

std::string random_name(std::string_view prefix)
{
    static constexpr std::string_view letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char random[6] = {};
    if (::getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random)) {
        const auto seed = static_cast<unsigned long long>(::getpid()) * 2654435761ULL ^ static_cast<unsigned long long>(::time(nullptr));
        for (size_t i = 0; i < sizeof random; ++i)
            random[i] = static_cast<unsigned char>(seed >> (8 * i));
    }
    std::string name(prefix);
    for (const unsigned char byte : random)
        name.push_back(letters[byte % letters.size()]);
    return name;
}

Expected<fs::path> make_private_directory(const fs::path& parent, std::string_view prefix)
{
    auto pattern = (parent / (std::string(prefix) + "XXXXXX")).string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr)
        return fail(ErrorCode::io, "cannot create a directory in {}: {}", parent.string(), errno_text(errno));
    return fs::path(buffer.data());
}

}  // namespace envpin::sys
