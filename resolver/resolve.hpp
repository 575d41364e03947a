#pragma once
// The solver: catalog + request + host facts -> Plan or Conflict, by the resolution policy of
// docs/CLI.md, "Policy":
//   1. candidates are the releases matching the torch spec, newest first;
//   2. a build is usable when it matches the cuda request ("auto": CUDA builds when the host
//      has an NVIDIA driver, else cpu), the driver runs its CUDA natively or under
//      minor-version compatibility (refused by --native-only), every GPU has SASS of its
//      major with a minor <= its own, or PTX <= its CC when the driver is native, the
//      requested Python is built for, and requested companions are published;
//   3. the choice is the newest release with a usable build, and its newest usable CUDA;
//   4. python: the requested one, else the host's python3 if supported, else the newest.
// Pure: no I/O. Fails (bad_input) only when the host facts themselves are malformed.
#include "base/error.hpp"
#include "resolver/catalog.hpp"
#include "resolver/host_facts.hpp"
#include "resolver/plan.hpp"
#include "resolver/request.hpp"

namespace envpin {

// The interpreter resolution takes as "the host's python3": the one named python3, else the
// first one found; nullptr when the host has none.
[[nodiscard]] const PythonInfo* host_python3(const HostFacts& facts);

[[nodiscard]] Expected<Resolution> resolve(const Catalog& catalog, const Request& request,
                                           const HostFacts& host);

} // namespace envpin
