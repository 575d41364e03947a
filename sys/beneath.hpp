#pragma once
// Paths inside a directory that envpin owns or manages, reached without following symlinks:
// a planted symlink can never send a creation, a chmod or a removal outside that directory.
#include <filesystem>
#include <string>

#include "base/error.hpp"
#include "sys/unique_fd.hpp"

namespace envpin::sys {

// Opens the directory `relative` below `root_fd` ("." for the root itself) with no symlink in
// any component (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; on kernels without openat2,
// component by component with O_NOFOLLOW). io naming `what` when it is not such a directory.
[[nodiscard]] Expected<UniqueFd> open_directory_beneath(int root_fd, const std::string& relative,
                                                        const std::filesystem::path& what);

// Creates a new directory named `<prefix>XXXXXX` in `parent` with mkdtemp-style randomness,
// mode 0700, never an existing name; returns its path.

// `<prefix>` and six random letters and digits (from getrandom): a name to record before the
// directory is made (make it with mkdir, which refuses an existing name).
[[nodiscard]] std::string random_name(std::string_view prefix);
[[nodiscard]] Expected<std::filesystem::path> make_private_directory(const std::filesystem::path& parent,
                                                                     std::string_view prefix);

}  // namespace envpin::sys
