#pragma once
// Absolute http(s) URLs as index pages use them: split into parts, and references resolved
// against the page they appear on (RFC 3986 section 5.2, without the rarely used corners).
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace envpin {

struct Url {
    std::string scheme;    // "https", lower case
    std::string authority; // "download.pytorch.org" or "127.0.0.1:8000"
    std::string path;      // "/whl/cu130/torch/" (with its query, without the fragment)
    [[nodiscard]] std::string text() const { return scheme + "://" + authority + path; }
    // The host without port or user information, lower case.
    [[nodiscard]] std::string host() const;
    bool operator==(const Url&) const = default;
};

// Fails with bad_input unless `text` is an absolute http:// or https:// URL with a host.
[[nodiscard]] Expected<Url> parse_url(std::string_view text);

// `reference` (absolute, "//host/x", "/x", "x", "../x", fragment dropped) against `base`.
[[nodiscard]] Url resolve_url(const Url& base, std::string_view reference);

} // namespace envpin
