#pragma once
// What a lock asks of the machine it is used on and of the environment made from it, for
// `envpin gate`: each answer is a list of sentences, one per problem (empty: satisfied). Pure.
#include <string>
#include <string_view>
#include <vector>

#include "resolver/catalog.hpp"
#include "resolver/host_facts.hpp"
#include "resolver/lock.hpp"

namespace envpin {

// The section of a lock file a host uses: `wanted` (--target) when given; else, in a lock with
// targets, the first target whose hosts include `host`; in one without, its one section.
// `section` is nullptr when no target fits, and `mismatches` says why for each
// ("train-h100: needs driver >=570; this host has 550.54.15"). Fails with bad_input when
// `wanted` names no target of the lock, or the lock has none.
struct SectionChoice {
    const Lock* section = nullptr;
    std::vector<std::string> mismatches;
};
[[nodiscard]] Expected<SectionChoice> choose_section(const Catalog& catalog, const LockFile& lock,
                                                     const HostFacts& host, std::string_view wanted,
                                                     std::string_view origin);

// Why `host` cannot run the lock's stack: no NVIDIA driver or one older than the lock's
// host.min_driver; a GPU with no kernel in host.arch (or only PTX the driver cannot JIT).
// A cpu lock asks nothing of the host.
[[nodiscard]] std::vector<std::string> host_problems(const Lock& lock, const HostFacts& host);

struct InstalledVersion {
    std::string name;  // as the distribution spells it
    std::string version;
};

// How `installed` differs from the lock's [[installed]] entries, which pin the whole
// environment: every entry there at exactly its version (PEP 440 equality), and nothing else.
// Names compare PEP 503-normalized. (A lock without them pins its stack only: store's
// stack_check says whether an environment holds it.)
[[nodiscard]] std::vector<std::string> installed_differences(const Lock& lock,
                                                             const std::vector<InstalledVersion>& installed);

// Whether the lock's variant is the build PyPI serves for its torch release (the catalog's
// pypi_default), so that PyPI's unlabelled wheels ("2.11.0") are that build.
[[nodiscard]] bool pypi_serves_variant(const Catalog& catalog, const Lock& lock);

}  // namespace envpin
