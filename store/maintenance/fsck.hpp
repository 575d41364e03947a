#pragma once
// fsck: re-hash every object and check every manifest; name what is wrong and which snapshots
// it touches. Reports only; gc removes garbage.
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/lifecycle/observe.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct FsckProblem {
    std::string kind;    // corrupt-object | missing-object | object-mode | bad-manifest | database
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
    std::vector<FsckProblem> problems;
    [[nodiscard]] bool clean() const { return problems.empty(); }
};

struct FsckOptions {
    unsigned threads = 0;
    ProgressCallback progress;
};

[[nodiscard]] Expected<FsckReport> fsck(Store& store, const FsckOptions& options = {});

}  // namespace envpin::store
