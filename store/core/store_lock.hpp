#pragma once
// The store's writer lock: flock(2) on <store>/lock, held for the whole of a writing command.
// flock locks belong to the open file description, so closing another descriptor of the file
// cannot drop them (the POSIX record-lock pitfall). The holder writes its pid into the file so
// a waiting writer can say who holds it. Readers never take it.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>

#include "base/error.hpp"
#include "sys/unique_fd.hpp"

namespace envpin::store {

class StoreLock {
public:
    // Waits up to `wait` for the lock; `on_wait(pid)` is called once when it has to wait
    // (pid 0 when unknown). busy "store is busy (pid N)" when the wait runs out.
    [[nodiscard]] static Expected<StoreLock> acquire(const std::filesystem::path& lock_file,
                                                     std::chrono::milliseconds wait,
                                                     const std::function<void(int pid)>& on_wait = {});
    // Takes the lock only if it is free right now.
    [[nodiscard]] static Expected<std::optional<StoreLock>> try_acquire(const std::filesystem::path& lock_file);

    StoreLock(StoreLock&&) noexcept = default;
    StoreLock& operator=(StoreLock&&) noexcept = default;

private:
    explicit StoreLock(sys::UniqueFd fd) : fd_(std::move(fd)) {}
    sys::UniqueFd fd_;  // closing it releases the lock
};

}  // namespace envpin::store
