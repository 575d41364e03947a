#include "net/http_cache.hpp"

#include <functional>

#include <nlohmann/json.hpp>

#include "sys/file.hpp"

namespace envpin::net {
namespace {

namespace fs = std::filesystem;

struct CacheEntry {
    long status = 200;
    std::string etag, last_modified, content_type, body;
};

// Entries are named by a hash of URL and Accept; the URL inside is checked on reading.
fs::path entry_path(const fs::path& directory, const Url& url, std::string_view accept)
{
    const auto key = std::hash<std::string>{}(url.text() + "\n" + std::string(accept));
    return directory / fmt::format("{:016x}.json", key);
}

std::optional<CacheEntry> read_entry(const fs::path& path, const Url& url, std::string_view accept)
{
    const auto text = sys::read_file(path);
    if (!text)
        return std::nullopt;
    const auto json = nlohmann::json::parse(*text, nullptr, false);
    if (!json.is_object() || json.value("url", "") != url.text() || json.value("accept", "") != accept)
        return std::nullopt;  // another URL with the same hash, or a damaged entry: a miss
    return CacheEntry{json.value("status", 200L), json.value("etag", ""), json.value("last_modified", ""),
                      json.value("content_type", ""), json.value("body", "")};
}

Expected<void> write_entry(const fs::path& path, const Url& url, std::string_view accept, const CacheEntry& entry)
{
    const nlohmann::json json{{"url", url.text()},         {"accept", accept},
                              {"status", entry.status},    {"etag", entry.etag},
                              {"last_modified", entry.last_modified}, {"content_type", entry.content_type},
                              {"body", entry.body}};
    std::error_code ignored;
    fs::create_directories(path.parent_path(), ignored);
    return sys::write_file_atomic(path, json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

} // namespace

CachedFetcher::CachedFetcher(fs::path directory, bool offline, HttpLimits limits)
    : directory_(std::move(directory)), offline_(offline), limits_(limits)
{
}

Expected<Fetched> CachedFetcher::get(const Url& url, std::string_view accept, const Check& check)
{
    const auto path = entry_path(directory_, url, accept);
    auto cached = read_entry(path, url, accept);
    if (offline_) {
        if (!cached)
            return fail(ErrorCode::network, "{}: not fetched by an earlier update, and --offline reads nothing from the "
                        "network", url.text());
        return Fetched{cached->status, std::move(cached->body), std::move(cached->content_type), true};
    }
    HttpRequest request{url, std::string(accept), {}, {}, {}};
    if (cached && cached->status == 200) {
        request.if_none_match = cached->etag;
        request.if_modified_since = cached->last_modified;
    }
    ++requests_;
    auto response = ENVPIN_TRY(http_get(request, limits_));
    bytes_ += static_cast<long long>(response.body.size());
    if (response.status == 304 && cached) {
        ++not_modified_;
        return Fetched{200, std::move(cached->body), std::move(cached->content_type), true};
    }
    if (response.status == 304)
        return fail(ErrorCode::network, "{}: answered 304 Not Modified to a request that was not conditional", url.text());
    Fetched fetched{response.status, std::move(response.body), std::move(response.content_type), false};
    ENVPIN_TRY(check(fetched));
    CacheEntry entry{fetched.status, response.etag, response.last_modified, fetched.content_type, fetched.body};
    // A cache that cannot be written costs the next update a full transfer, nothing more.
    (void)write_entry(path, url, accept, entry);
    return fetched;
}

FetchCounts CachedFetcher::counts() const
{
    return {requests_.load(), not_modified_.load(), bytes_.load()};
}

} // namespace envpin::net
