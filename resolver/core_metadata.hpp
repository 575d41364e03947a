#pragma once
// A distribution's core metadata (the METADATA file of a wheel, as an index serves it beside
// the wheel): the header fields the catalog derives its facts from.
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/requirement.hpp"
#include "resolver/version.hpp"

namespace envpin {

struct CoreMetadata {
    std::string name;
    Version version;
    std::string requires_python;           // empty when absent
    std::vector<Requirement> requires_dist; // in file order

    // Reads the header block (up to the first blank line; continuation lines folded). Fails
    // with bad_input naming `origin` when Name or Version is missing or malformed, or a
    // Requires-Dist line does not parse.
    [[nodiscard]] static Expected<CoreMetadata> parse(std::string_view text, std::string_view origin);
};

} // namespace envpin
