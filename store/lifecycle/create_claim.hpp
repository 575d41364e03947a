#pragma once
// A create's claim on the directories it makes: a lock file beside the first directory it makes
// (<parent>/.envpin-create-<directory name>, holding that directory's path and the
// environment's), flock'ed for as
// long as the create runs and removed when it ends. A create killed mid-way (kill -9, a power
// cut) leaves its half-made directories and a claim nobody holds; the next create of the same
// path takes them back before it starts: it removes what the killed create made, unless the
// store had already recorded the environment (the kill came after the recording), in which case
// only the claim goes. A claim still held (a create running) is never touched.
#include <filesystem>
#include <optional>

#include "base/error.hpp"
#include "sys/unique_fd.hpp"

namespace envpin::store {

class CreateClaim {
public:
    // Claims `top` (the first directory create will make on the way to `environment`) before
    // anything is made.
    [[nodiscard]] static Expected<CreateClaim> take(const std::filesystem::path& top,
                                                    const std::filesystem::path& environment);

    CreateClaim(CreateClaim&& other) noexcept;
    CreateClaim& operator=(CreateClaim&&) = delete;
    CreateClaim(const CreateClaim&) = delete;
    CreateClaim& operator=(const CreateClaim&) = delete;
    ~CreateClaim();  // removes the claim file, then releases the lock

private:
    CreateClaim(std::filesystem::path file, sys::UniqueFd fd) : file_(std::move(file)), fd_(std::move(fd)) {}
    std::filesystem::path file_;
    sys::UniqueFd fd_;
};

// What a killed create left on the way to `path`: the claimed directory, when a claim for `path`
// or one of its parents exists and no create holds it.
struct KilledCreate {
    std::filesystem::path claim;  // the claim file
    std::filesystem::path made;   // the directory the killed create made (empty: none recorded)
    std::filesystem::path environment;  // the environment it was making there
};

// Finds the leftovers of a killed create of `path`; nullopt when there are none.
[[nodiscard]] Expected<std::optional<KilledCreate>> find_killed_create(const std::filesystem::path& path);

// Removes them: the directory it made unless `recorded` (the store manages the killed create's
// environment), then the claim. Holds the claim's lock meanwhile, so two creates never take back the same leftovers.
[[nodiscard]] Expected<void> take_back(const KilledCreate& killed, bool recorded);

}  // namespace envpin::store
