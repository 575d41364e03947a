#pragma once
// Reading a file through a read-only mapping, without copying it out of the page cache. The
// only place envpin maps files, and the only place it handles SIGBUS.
#include <sys/types.h>

#include <cstddef>

#include "base/error.hpp"

namespace envpin::sys {

// Takes the mapped bytes; must not throw, allocate, or hold locks (on SIGBUS it is left
// mid-call with a jump).
using MappedConsumer = void (*)(const char* data, size_t size, void* context) noexcept;

enum class MappedRead {
    done,   // `consume` saw all `length` bytes
    fault,  // the file shrank, or its pages could not be read, while mapped: `consume` was cut short
};

// Maps [offset, offset + length) of `fd` (MAP_POPULATE) and hands it to `consume` in one call.
// A file that shrinks while mapped makes the access raise SIGBUS; that signal is caught for
// this thread's mapping only (any other SIGBUS keeps its default action) and reported as
// `fault`. Fails with io when the file cannot be mapped (a filesystem without mmap): the
// caller reads it instead.
[[nodiscard]] Expected<MappedRead> read_mapped(int fd, off_t offset, size_t length, MappedConsumer consume,
                                               void* context);

}  // namespace envpin::sys
