#include "resolver/simple_index.hpp"

#include <nlohmann/json.hpp>

#include "base/strings.hpp"

namespace envpin {
namespace {

using nlohmann::json;

struct PageReader {
    const Url& page;
    [[nodiscard]] std::unexpected<Error> bad(std::string_view what) const
    {
        return fail(ErrorCode::bad_input, "index page {}: {}", page.text(), what);
    }
};

bool is_hex_sha256(std::string_view text)
{
    return text.size() == 64 && std::ranges::all_of(text, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// "sha256" of a hashes object, checked; empty when absent.
Expected<std::string> sha256_of(const json& hashes, const PageReader& reader, std::string_view what)
{
    if (!hashes.is_object())
        return reader.bad(fmt::format("{} must be an object of hashes", what));
    const auto found = hashes.find("sha256");
    if (found == hashes.end())
        return std::string();
    if (!found->is_string() || !is_hex_sha256(to_lower(found->get<std::string>())))
        return reader.bad(fmt::format("{}.sha256 must be 64 hexadecimal digits", what));
    return to_lower(found->get<std::string>());
}

// PEP 714 "core-metadata", or its older spelling "dist-info-metadata": false, true or hashes.
Expected<void> read_metadata_field(const json& entry, IndexFile& file, const PageReader& reader)
{
    for (const char* key : {"core-metadata", "dist-info-metadata", "data-dist-info-metadata"}) {
        const auto found = entry.find(key);
        if (found == entry.end())
            continue;
        if (found->is_boolean()) {
            file.has_metadata = found->get<bool>();
        } else {
            file.metadata_sha256 = ENVPIN_TRY(sha256_of(*found, reader, fmt::format("{} of {}", key, file.filename)));
            file.has_metadata = true;
        }
        return {};
    }
    return {};
}

Expected<IndexFile> read_file_entry(const json& entry, const PageReader& reader)
{
    if (!entry.is_object())
        return reader.bad("each entry of 'files' must be an object");
    const auto filename = entry.find("filename");
    const auto url = entry.find("url");
    if (filename == entry.end() || !filename->is_string() || url == entry.end() || !url->is_string())
        return reader.bad("each file needs string 'filename' and 'url'");
    IndexFile file;
    file.filename = filename->get<std::string>();
    if (file.filename.find('/') != std::string::npos || file.filename.empty())
        return reader.bad(fmt::format("file name '{}' must be a plain file name", file.filename));
    file.url = resolve_url(reader.page, url->get<std::string>());
    if (const auto hashes = entry.find("hashes"); hashes != entry.end())
        file.sha256 = ENVPIN_TRY(sha256_of(*hashes, reader, fmt::format("hashes of {}", file.filename)));
    if (const auto yanked = entry.find("yanked"); yanked != entry.end())
        file.yanked = yanked->is_string() || (yanked->is_boolean() && yanked->get<bool>());
    ENVPIN_TRY(read_metadata_field(entry, file, reader));
    return file;
}

} // namespace

Expected<ProjectPage> parse_project_page(std::string_view text, const Url& page)
{
    const PageReader reader{page};
    const auto document = json::parse(text, nullptr, false);
    if (document.is_discarded())
        return reader.bad("not valid JSON (expected the JSON simple API, PEP 691)");
    if (!document.is_object())
        return reader.bad("expected a JSON object");
    const auto meta = document.find("meta");
    if (meta == document.end() || !meta->is_object() || !meta->contains("api-version") || !(*meta)["api-version"].is_string())
        return reader.bad("no meta.api-version (expected the JSON simple API, PEP 691)");
    if (const auto version = (*meta)["api-version"].get<std::string>(); !version.starts_with("1."))
        return reader.bad(fmt::format("api-version {} is not supported (expected 1.x)", version));
    const auto files = document.find("files");
    if (files == document.end() || !files->is_array())
        return reader.bad("'files' must be an array");
    ProjectPage result;
    if (const auto name = document.find("name"); name != document.end() && name->is_string())
        result.name = name->get<std::string>();
    for (const auto& entry : *files)
        result.files.push_back(ENVPIN_TRY(read_file_entry(entry, reader)));
    return result;
}

} // namespace envpin
