#include "store/core/store_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "base/strings.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace {

Expected<sys::UniqueFd> open_lock_file(const std::filesystem::path& lock_file)
{
    sys::UniqueFd fd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd)
        return fail(ErrorCode::io, "cannot open {}: {}", lock_file.string(), sys::errno_text(errno));
    return fd;
}

// True when this call took the lock.
Expected<bool> try_lock(int fd, const std::filesystem::path& lock_file)
{
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return false;
        if (errno != EINTR)
            return fail(ErrorCode::io, "cannot lock {}: {}", lock_file.string(), sys::errno_text(errno));
    }
    return true;
}

void write_pid(int fd)
{
    const auto text = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0)
        (void)!::pwrite(fd, text.data(), text.size(), 0);
}

int holder_pid(int fd)
{
    char buffer[32] = {};
    const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
    if (n <= 0)
        return 0;
    return static_cast<int>(parse_integer(trim(std::string_view(buffer, static_cast<size_t>(n)))).value_or(0));
}

}  // namespace

Expected<StoreLock> StoreLock::acquire(const std::filesystem::path& lock_file, std::chrono::milliseconds wait,
                                       const std::function<void(int)>& on_wait)
{
    auto fd = ENVPIN_TRY(open_lock_file(lock_file));
    const auto deadline = std::chrono::steady_clock::now() + wait;
    bool told = false;
    while (!ENVPIN_TRY(try_lock(fd.get(), lock_file))) {
        if (std::chrono::steady_clock::now() >= deadline) {
            const int pid = holder_pid(fd.get());
            return fail(ErrorCode::busy, "store is busy ({}); waited {:.1f} s (--wait S waits longer)",
                        pid != 0 ? fmt::format("pid {}", pid) : std::string("pid unknown"), wait.count() / 1000.0);
        }
        if (!told && on_wait) {
            on_wait(holder_pid(fd.get()));
            told = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    write_pid(fd.get());
    return StoreLock(std::move(fd));
}

Expected<std::optional<StoreLock>> StoreLock::try_acquire(const std::filesystem::path& lock_file)
{
    auto fd = ENVPIN_TRY(open_lock_file(lock_file));
    if (!ENVPIN_TRY(try_lock(fd.get(), lock_file)))
        return std::optional<StoreLock>();
    write_pid(fd.get());
    return std::optional<StoreLock>(StoreLock(std::move(fd)));
}

}  // namespace envpin::store
