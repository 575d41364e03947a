#pragma once
// PEP 508 environment markers, as torch's Requires-Dist uses them:
//   platform_system == "Linux" and platform_machine == "x86_64"
//   python_version < "3.13" and extra == "opt-einsum"
// Parsed into a small expression tree and evaluated against a MarkerEnvironment value.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace envpin {

// The values markers are evaluated against (PEP 508 "environment markers").
struct MarkerEnvironment {
    std::map<std::string, std::string, std::less<>> values; // "platform_system" -> "Linux"
    std::set<std::string, std::less<>> extras;              // normalized names ("opt-einsum")

    // CPython on Linux x86_64 with the given "3.12" (or "3.12.3") interpreter version.
    [[nodiscard]] static MarkerEnvironment linux_x86_64(std::string_view python_version);
    bool operator==(const MarkerEnvironment&) const = default;
};

class Marker {
  public:
    // One operand: an environment variable name or a quoted literal.
    struct Operand {
        bool variable = false;
        std::string text;
        bool operator==(const Operand&) const = default;
    };
    struct Node {
        enum class Kind { all_of, any_of, compare };
        Kind kind = Kind::compare;
        std::vector<Node> children; // all_of / any_of
        Operand left, right;        // compare
        std::string op;             // "==", "<", "in", "not in", ...
        bool operator==(const Node&) const = default;
    };

    // Fails with bad_input naming the position and what was expected.
    [[nodiscard]] static Expected<Marker> parse(std::string_view text);

    // Version comparisons use PEP 440 when both sides are versions, strings otherwise;
    // `extra == "x"` is true when "x" is among the environment's extras.
    [[nodiscard]] bool evaluate(const MarkerEnvironment& environment) const;
    // Normal form with double quotes and single spaces.
    [[nodiscard]] std::string to_string() const;
    [[nodiscard]] const Node& root() const { return root_; }
    bool operator==(const Marker&) const = default;

  private:
    Node root_;
    friend class MarkerParser;
};

// PEP 503 name normalization: lower case, runs of "-", "_", "." become one "-".
[[nodiscard]] std::string normalize_name(std::string_view name);

} // namespace envpin
