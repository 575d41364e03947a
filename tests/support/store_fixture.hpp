#pragma once
// Shared set-up for the store's end-to-end tests: a temporary directory holding a store and
// environments, and helpers that run envpin against that store and look at trees the way a
// user would (walking them, hashing files).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {

// path -> "d 0755" | "f 0644 <sha256>" | "l <target>", for every entry below `root`.
using TreePicture = std::map<std::string, std::string>;
[[nodiscard]] TreePicture picture(const std::filesystem::path& root);

// Paths whose picture differs between `before` and `after`.
struct TreeDelta {
    std::vector<std::string> added, modified, removed;
};
[[nodiscard]] TreeDelta delta(const TreePicture& before, const TreePicture& after);

// Digest over every file of the store except the lock files and SQLite's transient files, once
// the background work of earlier commands is done (`envpin recover`): equal before and after a
// command means the command changed nothing.
[[nodiscard]] std::string store_fingerprint(const std::filesystem::path& store);

// Objects of the store whose inode has another name (an environment's file shares it).
[[nodiscard]] int shared_objects(const std::filesystem::path& store);

class StoreTest : public ::testing::Test {
protected:
    // `envpin --store <store> <arguments>`.
    EnvpinRun envpin(std::vector<std::string> arguments, int timeout_seconds = 300) const;
    [[nodiscard]] std::filesystem::path store() const { return dir / "store"; }

    TempDir dir;
};

}  // namespace envpin::test
