#pragma once
// fsck --repair: what fsck found, fixed where the bytes still exist somewhere.
// - An object that still shares its inode with an environment's file (a store made before
//   link-then-copy, or a detach that never ran) gets a fresh inode of its own, as the detach
//   would give it (its copy is hashed: bytes already changed count as damaged below).
// - A damaged or missing object is taken back from any copy that still holds its bytes: the
//   same bytes stored with the other exec bit, or a file of a managed environment at a path
//   where one of the object's snapshots has it (each candidate hashed before it is used).
// What cannot be repaired is named with the snapshots that stay damaged.
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/maintenance/fsck.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct RepairOutcome {
    std::vector<std::string> detached;   // objects given their own inode
    std::vector<std::string> restored;   // objects taken back from another copy ("ab/cd..: from PATH")
    std::vector<FsckProblem> unrepaired; // what stays damaged, with the snapshots it touches
};

// Requires a writable store; `report` is fsck's on the same store.
[[nodiscard]] Expected<RepairOutcome> repair(Store& store, const FsckReport& report, unsigned threads = 0);

}  // namespace envpin::store
