#pragma once
// Targets: the classes of hosts one envpin.lock serves. envpin.toml may list them:
//   [[target]]
//   name = "train-h100"; driver = ">=570"; gpus = ["sm_90"]
//   [[target]]
//   name = "ci-cpu"; cuda = "cpu"
// `envpin lock` resolves each for its weakest host (the lowest driver it allows, each GPU it
// lists, no python3 of its own), so the answer holds on every host of the class and is the same
// on any machine. A host belongs to a target when its facts fall within the target's: its driver
// satisfies `driver` (no `driver`: hosts without an NVIDIA driver) and each of its GPUs has the
// compute capability of one in `gpus` (no `gpus`: any). A spec without targets is locked for the
// host that ran `envpin lock`, which the lock records (`MadeFor`).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/catalog.hpp"
#include "resolver/host_facts.hpp"

namespace envpin {

struct Target {
    std::string name;               // [a-z0-9._-]+, unique in the spec
    std::string driver;             // a driver requirement (">=570", ">=570.86,<600"); empty: no driver
    std::vector<std::string> gpus;  // as written: a catalog name ("H100"), sm_XY or X.Y; empty: any
    std::string cuda;               // overrides [environment] cuda; empty: that one
    std::string python;             // overrides [environment] python; empty: that one
    bool operator==(const Target&) const = default;
};

// The host that ran `envpin lock` for a spec without targets: what resolution read of it.
struct MadeFor {
    std::optional<std::string> driver;  // its driver version; nullopt: none
    std::vector<std::string> gpus;      // "sm_90", one per distinct compute capability
    std::string python3;                // its python3 ("3.12.3"); empty: none
    bool operator==(const MadeFor&) const = default;
};

// nullopt when `text` is a driver requirement a target may hold: comma-separated clauses
// `>=V`, `==V` (or a bare V), `<V`, `<=V`, with at least one lower bound (>= or ==); else what
// is wrong, as a sentence.
[[nodiscard]] std::optional<std::string> driver_requirement_problem(std::string_view text);

// The lowest driver a valid driver requirement allows ("570" for ">=570,<600"); nullopt when
// `text` is not one.
[[nodiscard]] std::optional<std::string> driver_requirement_floor(std::string_view text);

// nullopt when a target's name is [a-z0-9._-]+ starting with a letter or digit.
[[nodiscard]] std::optional<std::string> target_name_problem(std::string_view name);

// The facts a target is resolved for: the lowest driver it allows, one GPU per entry of `gpus`,
// no Python interpreter. Fails with bad_input naming `origin`, the target and the entry when a
// GPU is not one the catalog knows.
[[nodiscard]] Expected<HostFacts> target_facts(const Catalog& catalog, const Target& target,
                                               std::string_view origin);

// Why `host` is not one of `target`'s hosts ("needs driver >=570; this host has 550.54.15");
// nullopt when it is.
[[nodiscard]] Expected<std::optional<std::string>> target_mismatch(const Catalog& catalog, const Target& target,
                                                                   const HostFacts& host);

// What the lock records of `host`, and the facts it stands for when the lock is checked again.
[[nodiscard]] MadeFor made_for(const HostFacts& host);
[[nodiscard]] HostFacts made_for_facts(const MadeFor& made_for);

}  // namespace envpin
