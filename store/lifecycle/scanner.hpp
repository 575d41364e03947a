#pragma once
// Walks an environment's tree in parallel: every directory, regular file and symlink, with the
// stat stamp of each file. Symlinks are recorded, never followed.
#include <filesystem>
#include <vector>

#include "base/error.hpp"
#include "store/core/manifest.hpp"
#include "store/core/records.hpp"

namespace envpin::store {

struct Scan {
    std::vector<ManifestEntry> entries;  // sorted by path, root "." first; file digests not set
    std::vector<StatStamp> stamps;       // parallel to entries; meaningful for files
};

// Walks the directory open as `root_fd` (`root` names it in messages) with `threads` workers
// (0: all cores). bad_input naming the path for a FIFO, socket or device file; io for an
// unreadable directory. Entries that vanish while the walk runs are left out.
[[nodiscard]] Expected<Scan> scan_tree(int root_fd, const std::filesystem::path& root, unsigned threads);

}  // namespace envpin::store
