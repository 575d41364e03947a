#pragma once
// `envpin create` in the store: make a virtual environment, install a stack into it through
// the installer backend, check that the environment's dist-info is that stack, and take it
// under management (first snapshot, reason "create").
//
// Where packages come from:
// - the torch family (torch and the lock's companions, exact versions) and everything they
//   depend on come only from the stack's variant index (uv: first-index), or, when the lock
//   lists [[installed]] artifacts with hashes, exactly those artifacts, hashes required;
// - `extras` are installed afterwards with every distribution already installed pinned `==` as
//   a constraint, so nothing an extra needs can move the stack; with uv the variant index stays
//   first (a name it carries never comes from `extras_index`), with pip only `extras_index` is
//   consulted and installed distributions satisfy the constraints as they are;
// - offline: every package from the `find_links` directories, no index at all; where the
//   variant is PyPI's build of its release, the torch family is pinned without the local label
//   so that a directory of PyPI's wheels serves, and the stack check accepts their versions.
//
// Nothing half-made: once the environment's directory exists, any failure (installer, stack
// mismatch, recording) removes what create made, the error carries the installer's own
// message, and nothing is recorded in the store. The store's writer lock is taken only to
// record the result, so a long install never blocks other envpin commands.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/lock.hpp"
#include "store/lifecycle/installer.hpp"
#include "store/lifecycle/snapshot.hpp"
#include "store/lifecycle/stack_check.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct CreateOutcome;

struct CreateRequest {
    std::string name;
    std::filesystem::path path;         // must not exist; made with its missing parents
    std::string python;                 // the venv's interpreter: "3.12" or a path; empty: python3
    std::optional<Lock> stack;          // nullopt: no torch stack, only `extras`
    std::vector<std::string> extras;    // PEP 508 requirements installed with the stack held fixed
    InstallerKind installer = InstallerKind::uv;
    std::string extras_index = std::string(k_pypi_index);  // for extras, and a lock's other artifacts
    std::vector<std::filesystem::path> find_links;  // local wheel directories
    bool offline = false;                           // find_links only, no index
    // The stack's variant is the build PyPI serves for its torch release (the catalog's
    // pypi_default): offline, PyPI's unlabelled wheels ("torch 2.11.0") are that stack too.
    bool pypi_build = false;
    LinkMode link_mode = LinkMode::automatic;
    std::function<void(std::string_view step)> on_step;  // "installing torch==2.7.1+cu128 from ..."
    bool installer_progress = false;  // uv's own progress on stderr while it installs (a terminal)
    ProgressCallback progress;                           // hashing for the first snapshot
    // Called once the environment checks out, just before it is recorded (`envpin create` writes
    // envpin.lock there): a failure records nothing and removes the environment.
    std::function<Expected<void>(const CreateOutcome&)> before_record;
};

struct CreateOutcome {
    std::string python_version;               // the venv's ("3.12.3", from pyvenv.cfg); may be empty
    std::vector<ResolvedArtifact> installed;  // what the installer installed, sorted by name
    bool hashes_required = false;             // the lock's [[installed]] artifacts, hashes enforced
    std::vector<StackMismatch> mismatches;    // not empty: the stack is not the lock's; nothing kept
    std::optional<SnapshotOutcome> snapshot;  // the first snapshot (absent with mismatches)
};

// Checks that need no installer and no store: the name, that `path` does not exist
// (already_exists naming it), the extras (bad_input for installer options or malformed
// requirements), and the lock's [[installed]] artifacts when it has hashes.
[[nodiscard]] Expected<void> check_creatable(const CreateRequest& request);

// The lock's [[installed]] as artifacts to install with hashes required; empty when the lock
// lists none or any entry lacks a sha256 (the stack is then installed from its index).
[[nodiscard]] std::vector<ResolvedArtifact> locked_artifacts(const Lock& lock);

// Every distribution an environment created from `request` would hold, resolved for the stack's
// Python on this platform without installing anything (uv only): what `envpin lock` pins. One
// resolution with the sources of create: the torch family from the variant's index, other names
// from `extras_index` (or the --find-links wheels), the stack's pins held fixed.
[[nodiscard]] Expected<std::vector<ResolvedArtifact>> resolve_environment(const CreateRequest& request);

// Creates, installs, checks and records, as described above. `store` names the store
// (root, wait); it is opened for reading to check the name first and for writing only at the
// end. A stack that is not the lock's is a value (`mismatches`), not an error.
[[nodiscard]] Expected<CreateOutcome> create_environment(const StoreOptions& store, CreateRequest request);

}  // namespace envpin::store
