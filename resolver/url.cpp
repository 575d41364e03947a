#include "resolver/url.hpp"

#include <vector>

#include "base/strings.hpp"

namespace envpin {
namespace {

std::string_view without_fragment(std::string_view text)
{
    return text.substr(0, text.find('#'));
}

// RFC 3986 5.2.4, on the path part (the query rides along after the last segment).
std::string remove_dot_segments(std::string_view path_and_query)
{
    const auto query_at = path_and_query.find('?');
    const auto path = path_and_query.substr(0, query_at);
    const auto query = query_at == std::string_view::npos ? std::string_view{} : path_and_query.substr(query_at);
    std::vector<std::string_view> kept;
    const auto segments = split(path, '/');
    for (size_t i = 1; i < segments.size(); ++i) {
        const bool last = i + 1 == segments.size();
        if (segments[i] == "..") {
            if (!kept.empty())
                kept.pop_back();
            if (last)
                kept.emplace_back();
        } else if (segments[i] == ".") {
            if (last)
                kept.emplace_back();
        } else {
            kept.push_back(segments[i]);
        }
    }
    std::string out;
    for (const auto segment : kept)
        out += "/" + std::string(segment);
    return (out.empty() ? std::string("/") : out) + std::string(query);
}

} // namespace

std::string Url::host() const
{
    auto host = std::string_view(authority);
    if (const auto at = host.rfind('@'); at != std::string_view::npos)
        host = host.substr(at + 1);
    if (host.starts_with('['))
        return to_lower(host.substr(0, host.find(']') + 1));
    return to_lower(host.substr(0, host.find(':')));
}

Expected<Url> parse_url(std::string_view text)
{
    const auto plain = without_fragment(trim(text));
    const auto colon = plain.find("://");
    const auto scheme = colon == std::string_view::npos ? std::string() : to_lower(plain.substr(0, colon));
    if (scheme != "http" && scheme != "https")
        return fail(ErrorCode::bad_input, "'{}' is not a URL: expected http://HOST/... or https://HOST/...", text);
    const auto rest = plain.substr(colon + 3);
    const auto slash = std::min(rest.find('/'), rest.find('?'));
    Url url{scheme, std::string(rest.substr(0, slash)), slash == std::string_view::npos ? "/" : std::string(rest.substr(slash))};
    if (url.path.starts_with('?'))
        url.path = "/" + url.path;
    if (url.host().empty())
        return fail(ErrorCode::bad_input, "'{}' is not a URL: it names no host", text);
    return url;
}

Url resolve_url(const Url& base, std::string_view reference)
{
    const auto ref = without_fragment(reference);
    if (auto absolute = parse_url(ref))
        return *absolute;
    if (ref.starts_with("//")) {
        if (auto absolute = parse_url(base.scheme + ":" + std::string(ref)))
            return *absolute;
    }
    if (ref.starts_with('/'))
        return {base.scheme, base.authority, remove_dot_segments(ref)};
    if (ref.empty())
        return base;
    if (ref.starts_with('?'))
        return {base.scheme, base.authority, base.path.substr(0, base.path.find('?')) + std::string(ref)};
    const auto directory = base.path.substr(0, base.path.substr(0, base.path.find('?')).rfind('/') + 1);
    return {base.scheme, base.authority, remove_dot_segments(directory + std::string(ref))};
}

} // namespace envpin
