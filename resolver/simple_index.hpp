#pragma once
// A project page of a package index in the JSON simple API (PEP 691, with PEP 658/714 core
// metadata): the files it lists, their sha256, and where their METADATA can be read without
// downloading the wheel. Parsing is pure: the page text comes from the caller.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/url.hpp"

namespace envpin {

// The media type envpin asks for and accepts (PEP 691, version 1).
inline constexpr std::string_view simple_json_type = "application/vnd.pypi.simple.v1+json";

struct IndexFile {
    std::string filename;
    Url url;                 // resolved against the page
    std::string sha256;      // lower-case hex; empty when the index gives none
    bool yanked = false;
    bool has_metadata = false;    // PEP 658/714: METADATA is served at url + ".metadata"
    std::string metadata_sha256;  // its hash when the index gives one
    [[nodiscard]] Url metadata_url() const { return {url.scheme, url.authority, url.path + ".metadata"}; }
    bool operator==(const IndexFile&) const = default;
};

struct ProjectPage {
    std::string name;
    std::vector<IndexFile> files;
};

// Parses a PEP 691 project page served from `page`. Fails with bad_input naming the URL and
// what was expected (malformed JSON, a missing or wrong-typed field, an unsupported
// api-version major).
[[nodiscard]] Expected<ProjectPage> parse_project_page(std::string_view json, const Url& page);

} // namespace envpin
