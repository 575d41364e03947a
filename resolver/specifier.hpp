#pragma once
// PEP 440 version specifiers: "==2.7.*", ">=2.6,<2.9", "~=2.7.0", "!=2.8.0", "===2.7.1+cu128".
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/version.hpp"

namespace envpin {

// Whether pre-releases may match. `automatic` is PEP 440's default: only when a clause
// names a pre-release itself (">=3.0rc1").
enum class PreReleases { automatic, include, exclude };

class Specifier {
  public:
    enum class Op {
        compatible,
        equal,
        not_equal,
        less_equal,
        greater_equal,
        less,
        greater,
        arbitrary
    };

    // One clause (">=2.6"). Fails with bad_input naming the clause and what was expected.
    [[nodiscard]] static Expected<Specifier> parse(std::string_view text);

    [[nodiscard]] Op op() const { return op_; }
    [[nodiscard]] const Version& version() const { return version_; }
    [[nodiscard]] bool wildcard() const { return wildcard_; } // "==2.7.*", "!=2.7.*"
    // True when the clause's own version is a pre-release (it then admits pre-releases).
    [[nodiscard]] bool names_prerelease() const;
    // PEP 440 match of `candidate`, ignoring pre-release policy (SpecifierSet applies it).
    [[nodiscard]] bool matches(const Version& candidate) const;
    [[nodiscard]] std::string to_string() const;
    bool operator==(const Specifier&) const = default;

  private:
    Op op_ = Op::equal;
    Version version_;
    bool wildcard_ = false;
    std::string arbitrary_; // the literal string of "===" clauses
};

class SpecifierSet {
  public:
    // Comma-separated clauses; empty text matches every version.
    [[nodiscard]] static Expected<SpecifierSet> parse(std::string_view text);

    [[nodiscard]] bool contains(const Version& candidate,
                                PreReleases policy = PreReleases::automatic) const;
    [[nodiscard]] const std::vector<Specifier>& clauses() const { return clauses_; }
    [[nodiscard]] bool empty() const { return clauses_.empty(); }
    // Clauses in normal form joined by "," (">=2.6,<2.9").
    [[nodiscard]] std::string to_string() const;
    bool operator==(const SpecifierSet&) const = default;

  private:
    std::vector<Specifier> clauses_;
};

} // namespace envpin
