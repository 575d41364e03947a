#pragma once
// Human rendering of host facts.
#include <ostream>

#include "resolver/host_facts.hpp"

namespace envpin::cli {

void render_host(const HostFacts& facts, std::ostream& out);

}  // namespace envpin::cli
