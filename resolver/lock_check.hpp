#pragma once
// What a lock asks of the machine it is used on and of the environment made from it, for
// `envpin gate`: each answer is a list of sentences, one per problem (empty: satisfied). Pure.
#include <string>
#include <vector>

#include "resolver/host_facts.hpp"
#include "resolver/lock.hpp"

namespace envpin {

// Why `host` cannot run the lock's stack: no NVIDIA driver or one older than the lock's
// host.min_driver; a GPU with no kernel in host.arch (or only PTX the driver cannot JIT).
// A cpu lock asks nothing of the host.
[[nodiscard]] std::vector<std::string> host_problems(const Lock& lock, const HostFacts& host);

struct InstalledVersion {
    std::string name;  // as the distribution spells it
    std::string version;
};

// How `installed` differs from what the lock pins. A lock with [[installed]] entries pins the
// whole environment: every entry must be there at exactly its version, and nothing else. A
// lock without them pins its [[package]] entries and the "requires" pins only (each an exact
// version, matched as PEP 440 `==` does, or a specifier). Names compare PEP 503-normalized.
[[nodiscard]] std::vector<std::string> distribution_differences(const Lock& lock,
                                                                const std::vector<InstalledVersion>& installed);

}  // namespace envpin
