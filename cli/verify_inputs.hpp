#pragma once
// What the verify suite compares against, taken from what an environment has installed and
// from the catalog: the torch build's arch list and driver needs, the pinned libraries'
// versions, and the GPU model's reference peaks.
#include <filesystem>
#include <vector>

#include "base/error.hpp"
#include "resolver/catalog.hpp"
#include "resolver/host_facts.hpp"
#include "store/core/manifest.hpp"
#include "verify/runner/suite.hpp"

namespace envpin::cli {

// torch's version, its catalog build (arch list, minimum driver, whether this host's driver
// runs it only under minor-version compatibility), and every distribution's version (by
// normalized name). Fields the catalog cannot supply stay empty; the checks say so.
[[nodiscard]] verify::ExpectedStack expected_stack(const Catalog& catalog,
                                                   const std::vector<store::Distribution>& distributions,
                                                   const HostFacts& host);

// Reference peaks of the host's first GPU model, when the catalog has them.
[[nodiscard]] verify::GpuReferences gpu_references(const Catalog& catalog, const HostFacts& host);

// The distributions installed in the environment at `root` (its site-packages' dist-info).
[[nodiscard]] Expected<std::vector<store::Distribution>> installed_distributions(const std::filesystem::path& root);

}  // namespace envpin::cli
