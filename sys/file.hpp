#pragma once
// Whole-file reads and crash-safe writes.
#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace envpin::sys {

// strerror as a std::string ("No such file or directory").
[[nodiscard]] std::string errno_text(int error_number);

// Reads a whole file. Fails with not_found when it does not exist, bad_input when it is
// larger than `max_bytes` (parsers never read unbounded input).
[[nodiscard]] Expected<std::string> read_file(const std::filesystem::path& path,
                                              size_t max_bytes = 64u << 20);

// Writes `content` to `path` so that a crash leaves either the old file or the new one:
// temporary file in the same directory -> fsync -> rename -> fsync of the directory.
[[nodiscard]] Expected<void> write_file_atomic(const std::filesystem::path& path,
                                               std::string_view content, unsigned mode = 0644);

// Writes all of `content` to `fd` (retrying short writes); io naming `path` on failure.
[[nodiscard]] Expected<void> write_all(int fd, std::string_view content, const std::filesystem::path& path);

// Holes kept (sparse files stay sparse): write_keeping_holes writes `content` at the current
// offset, or, when it is all zero bytes, moves past it and leaves a hole; end_keeping_holes
// then sets the file's size (a file that ends in a hole). copy_keeping_holes copies all of
// `source` into the empty `target`, the data ranges only (SEEK_DATA/SEEK_HOLE), in the kernel
// where it can (copy_file_range), by read and write where it cannot (across filesystems).
[[nodiscard]] Expected<void> write_keeping_holes(int fd, std::string_view content, const std::filesystem::path& path);
[[nodiscard]] Expected<void> end_keeping_holes(int fd, const std::filesystem::path& path);
[[nodiscard]] Expected<void> copy_keeping_holes(int source, int target, const std::filesystem::path& what);

// syncfs(2) of the filesystem holding `path`: everything written there is on disk after it.
[[nodiscard]] Expected<void> sync_filesystem_of(const std::filesystem::path& path);

// Makes a directory entry change durable (fsync(2) on the directory).
[[nodiscard]] Expected<void> fsync_directory(const std::filesystem::path& directory);

// Absolute path of the running executable (/proc/self/exe).
[[nodiscard]] std::filesystem::path self_executable();

}  // namespace envpin::sys
