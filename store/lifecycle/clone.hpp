#pragma once
// clone: a second managed environment from any snapshot, at a new path, to try an old state
// beside the current one. The tree is built from the object store (by the source environment's
// link mode: linked then detached, cloned or copied), the virtual environment's own path is
// rewritten where a venv records it (bin/ scripts' shebangs and activate scripts, pyvenv.cfg),
// and the result is adopted under the new name, its first snapshot reason "clone".
#include <filesystem>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "store/lifecycle/snapshot.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct CloneRequest {
    std::string ref;                   // NAME, NAME@SEQ, NAME@~N or a commit prefix
    std::filesystem::path path;        // must not exist (an empty directory is replaced)
    std::string name;                  // the new environment's name
    std::optional<LinkMode> link_mode; // nullopt: the source environment's
    unsigned threads = 0;
    ProgressCallback progress;
};

struct CloneOutcome {
    SnapshotInfo source;
    SnapshotOutcome adopted;           // the new environment's first snapshot
    long long files = 0;               // built from the store
    long long linked_files = 0;        // of which linked to their objects until the detach
    long long rewritten = 0;           // files whose venv path was rewritten
    bool detach_pending = false;
};

// Requires a writable store. bad_input naming the input for a bad name or path, already_exists
// for a taken name or an occupied path; nothing is left behind on failure.
[[nodiscard]] Expected<CloneOutcome> clone_environment(Store& store, const CloneRequest& request);

}  // namespace envpin::store
