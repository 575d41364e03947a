#pragma once
// PEP 508 requirement lines, as found in a wheel's Requires-Dist:
//   nvidia-cudnn-cu12==9.7.1.26; platform_system == "Linux" and platform_machine == "x86_64"
//   cuda-toolkit[cublas,cudart]==13.0.2; platform_system == "Linux"
//   opt-einsum>=3.3; extra == "opt-einsum"
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/marker.hpp"
#include "resolver/specifier.hpp"

namespace envpin {

struct Requirement {
    std::string name;                // as written ("nvidia-cudnn-cu12")
    std::vector<std::string> extras; // as written, in order
    SpecifierSet specifier;          // empty: any version
    std::string url;                 // "name @ url" form; empty otherwise
    std::optional<Marker> marker;

    // Fails with bad_input naming the line and what was expected.
    [[nodiscard]] static Expected<Requirement> parse(std::string_view line);
    // True when there is no marker or it holds in `environment`.
    [[nodiscard]] bool applies(const MarkerEnvironment& environment) const;
    // The exact version of a single "==X" clause without wildcard, if that is what it is.
    [[nodiscard]] std::optional<Version> pinned_version() const;
    [[nodiscard]] std::string to_string() const;
    bool operator==(const Requirement&) const = default;
};

} // namespace envpin
