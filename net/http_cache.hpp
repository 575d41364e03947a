#pragma once
// Index pages and metadata files kept between updates: each later request is conditional
// (If-None-Match / If-Modified-Since), so a second `envpin catalog update` transfers almost
// nothing, and `--offline` answers from here without touching the network.
#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "net/http.hpp"

namespace envpin::net {

struct Fetched {
    long status = 200; // 200 or 404 (a 404 is kept too: offline still knows the page is absent)
    std::string body;
    std::string content_type;
    bool from_cache = false; // 304, or offline
};

struct FetchCounts {
    int requests = 0;     // sent over the network
    int not_modified = 0; // of which answered 304
    long long bytes = 0;  // bodies received
};

class CachedFetcher {
public:
    CachedFetcher(std::filesystem::path directory, bool offline, HttpLimits limits = {});

    // Checks an answer before it is kept: one that fails is returned as that error and never
    // cached, so a bad answer is asked for again in full next time.
    using Check = std::function<Expected<void>(const Fetched&)>;

    // The answer for `url` with this Accept header. Offline, a URL never fetched before fails
    // naming it. Safe to call from several threads.
    [[nodiscard]] Expected<Fetched> get(const Url& url, std::string_view accept, const Check& check);
    [[nodiscard]] FetchCounts counts() const;

private:
    std::filesystem::path directory_;
    bool offline_;
    HttpLimits limits_;
    std::atomic<int> requests_{0}, not_modified_{0};
    std::atomic<long long> bytes_{0};
};

} // namespace envpin::net
