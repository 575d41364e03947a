#include "sys/mapped_read.hpp"

#include <sys/mman.h>

#include <csetjmp>
#include <csignal>
#include <mutex>
#include <utility>

#include "sys/file.hpp"

namespace envpin::sys {
namespace {

// The mapping a thread is reading, and where to jump back to when reading it faults.
struct BusGuard {
    sigjmp_buf jump;
    const char* begin;
    const char* end;
};

thread_local BusGuard* volatile active_guard = nullptr;
struct sigaction previous_action{};

void on_bus_error(int signal, siginfo_t* info, void* /*context*/)
{
    BusGuard* guard = active_guard;
    const auto* address = static_cast<const char*>(info->si_addr);
    if (guard != nullptr && address >= guard->begin && address < guard->end) {
        active_guard = nullptr;
        siglongjmp(guard->jump, 1);
    }
    // Not a read of ours: what was there before handles it, as if this handler never was (the
    // signal stays blocked until this returns; a faulting access would then fault again).
    ::sigaction(signal, &previous_action, nullptr);
    ::raise(signal);
}

void install_bus_handler()
{
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction action{};
        action.sa_sigaction = on_bus_error;
        action.sa_flags = SA_SIGINFO;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGBUS, &action, &previous_action);
    });
}

class Mapping {
public:
    Mapping(void* address, size_t length) : address_(address), length_(length) {}
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() { ::munmap(address_, length_); }
    [[nodiscard]] const char* data() const { return static_cast<const char*>(address_); }

private:
    void* address_;
    size_t length_;
};

// Kept apart from read_mapped so that nothing with a destructor lives in the frame that
// sigsetjmp returns to twice.
MappedRead consume_guarded(const Mapping& mapping, size_t length, MappedConsumer consume, void* context)
{
    BusGuard guard;
    guard.begin = mapping.data();
    guard.end = mapping.data() + length;
    if (sigsetjmp(guard.jump, 1) != 0)
        return MappedRead::fault;
    active_guard = &guard;
    consume(mapping.data(), length, context);
    active_guard = nullptr;
    return MappedRead::done;
}

}  // namespace

Expected<MappedRead> read_mapped(int fd, off_t offset, size_t length, MappedConsumer consume, void* context)
{
    if (length == 0)
        return MappedRead::done;
    install_bus_handler();
    void* address = ::mmap(nullptr, length, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, offset);
    if (address == MAP_FAILED)
        return fail(ErrorCode::io, "cannot map the file: {}", errno_text(errno));
    const Mapping mapping(address, length);
    return consume_guarded(mapping, length, consume, context);
}

}  // namespace envpin::sys
