#pragma once
// `envpin create`'s inputs turned into what store::create_environment needs, before anything is
// touched: the stack (resolved from --torch/--cuda/--python as `resolve` does, from envpin.toml
// as `lock` does, or read from envpin.lock), the environment's path and Python, where packages
// come from, and where the lock goes. Bad input fails (exit 2) naming it; a resolution conflict
// is a value (`conflict`).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "resolver/host_facts.hpp"
#include "resolver/lock.hpp"
#include "resolver/plan.hpp"
#include "resolver/request.hpp"
#include "store/lifecycle/create.hpp"

namespace envpin::cli {

struct CreateFlags {
    std::string name;
    std::string path;               // default: .venv-NAME (or the spec's path, beside it)
    RequestText request;            // --torch (or "none"), --cuda, --python
    std::string spec;               // --spec envpin.toml
    std::string from_lock;          // --from-lock envpin.lock
    std::string lock;               // --lock FILE
    std::string target;             // --target NAME: the lock section to install; empty: this host's
    std::vector<std::string> with;  // --with REQ, repeatable
    std::string installer = "auto";
    std::vector<std::string> find_links;
    bool offline = false;
    std::string index_url = std::string(k_pypi_index);  // --index-url, for --with
    std::string link_mode = "auto";
    std::string catalog;  // --catalog FILE
    std::string store;    // the global --store (its catalog overlay)
    bool verify = false;
    bool explain = false;  // on a conflict, every candidate and its reasons
    double wait = 60;
};

// Where the lock goes, and what is there now.
struct LockDestination {
    std::filesystem::path path;
    std::optional<LockFile> existing;
    std::optional<LockFile> resolved;  // --spec: every target's section as resolved now
};

struct CreateInputs {
    store::CreateRequest request;
    std::optional<LockDestination> lock;  // nullopt: no torch stack, so no lock
    // A conflict: what `resolve` would say; nothing is created (exit 1).
    std::optional<Resolution> conflict;
    // No target of the lock is for this host: why not, per target; nothing is created (exit 1).
    std::vector<std::string> no_target;
    Request resolved;
    HostFacts host;
};

// Reads and checks every input. The lock target must be absent, or a lock recording the same
// resolution (its [[installed]] artifacts are then installed with hashes required), or, for
// --spec and an explicit --lock, any readable lock (replaced, as `envpin lock` replaces it).
// The default ./envpin.lock of a flag-resolved stack is never replaced by another stack.
[[nodiscard]] Expected<CreateInputs> create_inputs(const CreateFlags& flags);

enum class LockWrite { written, unchanged };
[[nodiscard]] std::string_view to_string(LockWrite write);

// Writes the lock with `installed` as the [[installed]] list (sorted by name) of `lock`'s
// section; a lock with targets keeps its other sections.
[[nodiscard]] Expected<LockWrite> write_create_lock(const LockDestination& destination, Lock lock,
                                                    const std::vector<store::ResolvedArtifact>& installed);

}  // namespace envpin::cli
