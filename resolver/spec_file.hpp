#pragma once
// envpin.toml, the spec a user writes (or `envpin init` writes for them), docs/CLI.md:
//   [environment]
//   name = "train"; path = ".venv"; python = "3.12"; torch = ">=2.6,<2.9"; cuda = "auto"
//   companions = ["torchvision", "torchaudio"]; requirements = ["numpy<2"]
//   [[target]]   (any number; resolver/target.hpp)
//   name = "train-h100"; driver = ">=570"; gpus = ["sm_90"]; cuda = ...; python = ...
//   [verify]
//   checks = [{ name = "smoke", run = ["python", "-m", "myproj.selftest"], timeout = 60 }]
// ([verify] is parsed and validated here; `envpin verify` runs its checks.)
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/lock.hpp"

namespace envpin {

// One project check of [verify] checks: a command `envpin verify` runs in the environment.
struct ProjectCheckSpec {
    std::string name;              // letters, digits, '-', '_', '.'
    std::vector<std::string> run;  // argv, never empty
    std::optional<double> timeout; // seconds, > 0; nullopt: verify's --timeout
    bool operator==(const ProjectCheckSpec&) const = default;
};

struct Spec {
    std::string name;
    std::string path = ".venv";
    std::string python; // empty: the host's python3 if torch supports it, else the newest
    std::string torch;  // empty: any release
    std::string cuda = "auto";
    std::vector<std::string> companions;
    std::vector<std::string> requirements; // installed with the CUDA stack held fixed
    bool native_only = false;
    std::vector<Target> targets;  // empty: the lock is for the host that makes it
    std::vector<ProjectCheckSpec> checks;  // [verify] checks, in file order
    bool operator==(const Spec&) const = default;
};

// Parses envpin.toml text, or a pyproject.toml's [tool.envpin] tables (the same tables, under
// that prefix: [tool.envpin.environment], [[tool.envpin.target]]); malformed input fails with
// bad_input naming `origin` and the line.
[[nodiscard]] Expected<Spec> parse_spec(std::string_view text, std::string_view origin);

// The request part of a spec, as a lock records it.
[[nodiscard]] LockRequest lock_request(const Spec& spec);

// A commented envpin.toml for an environment called `name` (the example in docs/CLI.md).
[[nodiscard]] std::string init_spec_text(std::string_view name);

} // namespace envpin
