#include "resolver/requirement.hpp"

#include "base/strings.hpp"

namespace envpin {
namespace {

bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::unexpected<Error> bad(std::string_view line, std::string_view expected)
{
    return fail(ErrorCode::bad_input, "requirement '{}': expected {}", line, expected);
}

// "name" at the start of `rest`; advances past it.
Expected<std::string> take_name(std::string_view line, std::string_view& rest)
{
    size_t end = 0;
    while (end < rest.size() && is_name_char(rest[end]))
        ++end;
    const auto name = rest.substr(0, end);
    if (name.empty() || !is_alnum(name.front()) || !is_alnum(name.back()))
        return bad(line, "a distribution name (letters, digits, '-', '_', '.')");
    rest = trim(rest.substr(end));
    return std::string(name);
}

Expected<std::vector<std::string>> take_extras(std::string_view line, std::string_view& rest)
{
    std::vector<std::string> extras;
    if (!rest.starts_with('['))
        return extras;
    const size_t close = rest.find(']');
    if (close == std::string_view::npos)
        return bad(line, "']' after the extras");
    for (auto extra : split(rest.substr(1, close - 1), ',')) {
        extra = trim(extra);
        if (extra.empty())
            continue;
        std::string_view probe = extra;
        auto name = ENVPIN_TRY(take_name(line, probe));
        if (!probe.empty())
            return bad(line, "extras as comma-separated names");
        extras.push_back(std::move(name));
    }
    rest = trim(rest.substr(close + 1));
    return extras;
}

} // namespace

Expected<Requirement> Requirement::parse(std::string_view line)
{
    line = trim(line);
    Requirement requirement;
    std::string_view rest = line;
    // The marker starts at the first ';' (URLs in "name @ url" may not contain "; ").
    const size_t semicolon = rest.find(';');
    if (semicolon != std::string_view::npos) {
        requirement.marker = ENVPIN_TRY(Marker::parse(rest.substr(semicolon + 1)));
        rest = trim(rest.substr(0, semicolon));
    }
    requirement.name = ENVPIN_TRY(take_name(line, rest));
    requirement.extras = ENVPIN_TRY(take_extras(line, rest));
    if (rest.starts_with('@')) {
        requirement.url = std::string(trim(rest.substr(1)));
        if (requirement.url.empty())
            return bad(line, "a URL after '@'");
        return requirement;
    }
    if (rest.starts_with('(')) {
        if (!rest.ends_with(')'))
            return bad(line, "')' after the version specifier");
        rest = trim(rest.substr(1, rest.size() - 2));
    }
    auto specifier = SpecifierSet::parse(rest);
    if (!specifier)
        return bad(line, specifier.error().message);
    requirement.specifier = std::move(*specifier);
    return requirement;
}

bool Requirement::applies(const MarkerEnvironment& environment) const
{
    return !marker || marker->evaluate(environment);
}

std::optional<Version> Requirement::pinned_version() const
{
    const auto& clauses = specifier.clauses();
    if (clauses.size() != 1 || clauses[0].op() != Specifier::Op::equal || clauses[0].wildcard())
        return std::nullopt;
    return clauses[0].version();
}

std::string Requirement::to_string() const
{
    std::string text = name;
    if (!extras.empty())
        text += "[" + join(extras, ",") + "]";
    if (!url.empty())
        text += " @ " + url;
    else
        text += specifier.to_string();
    if (marker)
        text += "; " + marker->to_string();
    return text;
}

} // namespace envpin
