#pragma once
// fsck: re-hash every object and check every manifest; name what is wrong and which snapshots
// it touches, and every object that still shares its inode with a file outside the store (a
// write in place there would change the snapshot). Reports only; repair.hpp takes the bytes
// back where a copy still has them, gc removes garbage.
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/lifecycle/observe.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct FsckProblem {
    std::string kind;    // corrupt-object | missing-object | shared-object | object-mode | bad-manifest | database
    std::string object;  // "ab/cdef..." for object problems
    std::vector<std::string> snapshots;  // snapshots affected ("train@2")
    std::string detail;
    bool operator==(const FsckProblem&) const = default;
};

struct FsckReport {
    long long objects_checked = 0;
    long long snapshots_checked = 0;
    long long unreferenced_objects = 0;  // garbage gc would remove (not a problem)
    long long stray_files = 0;           // names in objects/ that are not objects (gc removes)
    long long shared_by_choice = 0;      // shared with environments adopted with --link-mode hardlink
    long long shared_pending = 0;        // shared until the background detach in progress copies them
    std::vector<FsckProblem> problems;
    [[nodiscard]] bool clean() const { return problems.empty(); }
};

struct FsckOptions {
    unsigned threads = 0;
    ProgressCallback progress;
};

[[nodiscard]] Expected<FsckReport> fsck(Store& store, const FsckOptions& options = {});

}  // namespace envpin::store
