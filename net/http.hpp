#pragma once
// HTTP GET through libcurl, for reading package indexes: bounded in time and size, retried with
// backoff on 429 and 5xx, redirects followed only within the same host, proxies taken from the
// standard variables (HTTPS_PROXY, https_proxy, http_proxy, NO_PROXY). The one owner of
// libcurl's handles is http.cpp.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "base/error.hpp"
#include "resolver/url.hpp"

namespace envpin::net {

struct HttpLimits {
    std::chrono::seconds connect_timeout{10};
    std::chrono::seconds total_timeout{120};
    size_t max_bytes = size_t{64} << 20;       // a larger answer fails naming the URL
    int attempts = 4;                          // tries for 429, 5xx and failed connections
    std::chrono::milliseconds backoff{200};    // doubled after each try
    std::chrono::milliseconds max_retry_after{std::chrono::seconds(30)};
    int max_redirects = 5;
};

struct HttpRequest {
    Url url;
    std::string accept;            // Accept header; empty: */*
    std::string if_none_match;     // ETag of a cached copy
    std::string if_modified_since; // Last-Modified of a cached copy
    // Bytes [first, first + length) (length 0: to the end); first < 0: the last -first bytes.
    std::optional<std::pair<long long, long long>> range;
};

struct HttpResponse {
    long status = 0; // 200, 206, 304 or 404 (others fail)
    std::string body;
    std::string content_type; // lower case, parameters dropped
    std::string etag;
    std::string last_modified;
    Url url; // after same-host redirects
};

// Transfers `request`. A 200, 206, 304 or 404 is returned as a response; anything else fails
// with ErrorCode::network naming the URL and what happened (timeout: ErrorCode::timeout).
[[nodiscard]] Expected<HttpResponse> http_get(const HttpRequest& request, const HttpLimits& limits = {});

} // namespace envpin::net
