#include "resolver/specifier.hpp"

#include <array>
#include <utility>

#include "base/strings.hpp"

namespace envpin {
namespace {

struct OpText {
    std::string_view text;
    Specifier::Op op;
};

// Longest operators first so "===" is not read as "==" and "<=" not as "<".
constexpr std::array<OpText, 8> k_operators{{
    {"===", Specifier::Op::arbitrary},
    {"~=", Specifier::Op::compatible},
    {"==", Specifier::Op::equal},
    {"!=", Specifier::Op::not_equal},
    {"<=", Specifier::Op::less_equal},
    {">=", Specifier::Op::greater_equal},
    {"<", Specifier::Op::less},
    {">", Specifier::Op::greater},
}};

std::string_view op_text(Specifier::Op op)
{
    for (const auto& entry : k_operators)
        if (entry.op == op)
            return entry.text;
    return "";
}

// "==2.7.*": the candidate's public release, padded with zeros, starts with the prefix.
bool prefix_match(int epoch, const std::vector<long long>& want, const Version& candidate)
{
    if (epoch != candidate.epoch())
        return false;
    const auto& have = candidate.release();
    for (size_t i = 0; i < want.size(); ++i)
        if ((i < have.size() ? have[i] : 0) != want[i])
            return false;
    return true;
}

bool prefix_match(const Version& prefix, const Version& candidate)
{
    return prefix_match(prefix.epoch(), prefix.release(), candidate);
}

bool equal_match(const Version& wanted, const Version& candidate)
{
    // A clause without a local label ignores the candidate's ("==2.7.1" matches 2.7.1+cu128).
    return wanted.has_local() ? candidate == wanted : candidate.public_version() == wanted;
}

} // namespace

Expected<Specifier> Specifier::parse(std::string_view text)
{
    text = trim(text);
    const auto expected = [&](std::string_view what) {
        return fail(ErrorCode::bad_input,
                    "'{}' is not a version specifier: expected {} (e.g. ==2.7.*, >=2.6, ~=2.7.0)",
                    text, what);
    };
    Specifier spec;
    const OpText* found = nullptr;
    for (const auto& entry : k_operators)
        if (text.starts_with(entry.text)) {
            found = &entry;
            break;
        }
    if (found == nullptr)
        return expected("an operator (==, !=, <=, >=, <, >, ~=, ===)");
    spec.op_ = found->op;
    auto rest = trim(text.substr(found->text.size()));
    if (spec.op_ == Op::arbitrary) {
        if (rest.empty())
            return expected("a string after ===");
        spec.arbitrary_ = std::string(rest);
        return spec;
    }
    if (rest.ends_with(".*")) {
        if (spec.op_ != Op::equal && spec.op_ != Op::not_equal)
            return expected("'.*' only after == or !=");
        spec.wildcard_ = true;
        rest.remove_suffix(2);
    }
    auto version = Version::parse(rest);
    if (!version)
        return expected("a PEP 440 version after the operator");
    spec.version_ = std::move(*version);
    if (spec.wildcard_ && (spec.version_.has_local() || spec.version_.is_prerelease() ||
                           spec.version_.is_postrelease()))
        return expected("a release number before '.*'");
    if (spec.version_.has_local() && spec.op_ != Op::equal && spec.op_ != Op::not_equal)
        return expected("a local label (+...) only after == or !=");
    if (spec.op_ == Op::compatible && spec.version_.release().size() < 2)
        return expected("at least two release numbers after ~=");
    return spec;
}

bool Specifier::names_prerelease() const
{
    return op_ != Op::arbitrary && op_ != Op::not_equal && version_.is_prerelease();
}

bool Specifier::matches(const Version& candidate) const
{
    const Version candidate_public = candidate.public_version();
    switch (op_) {
    case Op::arbitrary:
        return to_lower(arbitrary_) == candidate.to_string();
    case Op::equal:
        return wildcard_ ? prefix_match(version_, candidate_public)
                         : equal_match(version_, candidate);
    case Op::not_equal:
        return wildcard_ ? !prefix_match(version_, candidate_public)
                         : !equal_match(version_, candidate);
    case Op::compatible: {
        // ~=2.7.0 is >=2.7.0 together with ==2.7.*.
        auto prefix = version_.release();
        prefix.pop_back();
        return candidate_public >= version_ &&
               prefix_match(version_.epoch(), prefix, candidate_public);
    }
    case Op::less_equal:
        return candidate_public <= version_;
    case Op::greater_equal:
        return candidate_public >= version_;
    case Op::less:
        // "<2.9" excludes 2.9.0rc1 unless the clause itself names a pre-release.
        return candidate_public < version_ &&
               (version_.is_prerelease() || !candidate_public.is_prerelease() ||
                candidate_public.base_version() != version_.base_version());
    case Op::greater:
        // ">2.7" excludes 2.7.post1 and 2.7+local unless the clause names a post-release.
        if (!(candidate_public > version_))
            return false;
        if (!version_.is_postrelease() && candidate_public.is_postrelease() &&
            candidate_public.base_version() == version_.base_version())
            return false;
        return !(candidate.has_local() && candidate.base_version() == version_.base_version());
    }
    return false;
}

std::string Specifier::to_string() const
{
    if (op_ == Op::arbitrary)
        return "===" + arbitrary_;
    return std::string(op_text(op_)) + version_.to_string() + (wildcard_ ? ".*" : "");
}

Expected<SpecifierSet> SpecifierSet::parse(std::string_view text)
{
    SpecifierSet set;
    if (trim(text).empty())
        return set;
    for (auto clause : split(text, ','))
        set.clauses_.push_back(ENVPIN_TRY(Specifier::parse(clause)));
    return set;
}

bool SpecifierSet::contains(const Version& candidate, PreReleases policy) const
{
    if (candidate.is_prerelease()) {
        bool allowed = policy == PreReleases::include;
        if (policy == PreReleases::automatic)
            for (const auto& clause : clauses_)
                allowed = allowed || clause.names_prerelease();
        if (!allowed)
            return false;
    }
    for (const auto& clause : clauses_)
        if (!clause.matches(candidate))
            return false;
    return true;
}

std::string SpecifierSet::to_string() const
{
    std::vector<std::string> parts;
    for (const auto& clause : clauses_)
        parts.push_back(clause.to_string());
    return join(parts, ",");
}

} // namespace envpin
