#include "net/http.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <thread>

#include "base/strings.hpp"

namespace envpin::net {
namespace {

// libcurl's handles, owned here and nowhere else.
struct EasyDeleter {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct ListDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, ListDeleter>;

void global_init_once()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What one transfer brought back.
struct Transfer {
    std::string body;
    bool too_large = false;
    size_t max_bytes = 0;
    std::string content_type, etag, last_modified, location, retry_after;
};

size_t on_body(char* data, size_t size, size_t count, void* user)
{
    auto& transfer = *static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    if (transfer.body.size() + bytes > transfer.max_bytes) {
        transfer.too_large = true;
        return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
    transfer.body.append(data, bytes);
    return bytes;
}

size_t on_header(char* data, size_t size, size_t count, void* user)
{
    auto& transfer = *static_cast<Transfer*>(user);
    const std::string_view line(data, size * count);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        const auto name = to_lower(trim(line.substr(0, colon)));
        const auto value = std::string(trim(line.substr(colon + 1)));
        if (name == "content-type")
            transfer.content_type = to_lower(trim(std::string_view(value).substr(0, value.find(';'))));
        else if (name == "etag")
            transfer.etag = value;
        else if (name == "last-modified")
            transfer.last_modified = value;
        else if (name == "location")
            transfer.location = value;
        else if (name == "retry-after")
            transfer.retry_after = value;
    } else if (line.starts_with("HTTP/")) {
        transfer = Transfer{{}, false, transfer.max_bytes, {}, {}, {}, {}, {}};  // a new response (after 100 Continue)
    }
    return size * count;
}

HeaderList request_headers(const HttpRequest& request)
{
    curl_slist* list = nullptr;
    auto add = [&](const std::string& header) { list = curl_slist_append(list, header.c_str()); };
    add("Accept: " + (request.accept.empty() ? std::string("*/*") : request.accept));
    if (!request.if_none_match.empty())
        add("If-None-Match: " + request.if_none_match);
    if (!request.if_modified_since.empty())
        add("If-Modified-Since: " + request.if_modified_since);
    return HeaderList(list);
}

std::string range_text(const std::pair<long long, long long>& range)
{
    if (range.first < 0)
        return fmt::format("-{}", -range.first);
    if (range.second == 0)
        return fmt::format("{}-", range.first);
    return fmt::format("{}-{}", range.first, range.first + range.second - 1);
}

struct Attempt {
    CURLcode code = CURLE_OK;
    long status = 0;
    Transfer transfer;
};

Attempt transfer_once(const HttpRequest& request, const Url& url, const HttpLimits& limits)
{
    Attempt attempt;
    attempt.transfer.max_bytes = limits.max_bytes;
    EasyHandle easy(curl_easy_init());
    if (!easy) {
        attempt.code = CURLE_FAILED_INIT;
        return attempt;
    }
    const auto text = url.text();
    const auto headers = request_headers(request);
    const auto range = request.range ? range_text(*request.range) : std::string();
    CURL* handle = easy.get();
    curl_easy_setopt(handle, CURLOPT_URL, text.c_str());
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limits.connect_timeout.count() * 1000));
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(limits.total_timeout.count() * 1000));
    curl_easy_setopt(handle, CURLOPT_USERAGENT, "envpin (catalog update)");
    curl_easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, "");  // gzip and friends, decoded by libcurl
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &attempt.transfer);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &attempt.transfer);
    if (!range.empty())
        curl_easy_setopt(handle, CURLOPT_RANGE, range.c_str());
    attempt.code = curl_easy_perform(handle);
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &attempt.status);
    return attempt;
}

bool worth_retrying(const Attempt& attempt)
{
    if (attempt.code == CURLE_COULDNT_CONNECT || attempt.code == CURLE_RECV_ERROR || attempt.code == CURLE_SEND_ERROR ||
        attempt.code == CURLE_GOT_NOTHING || attempt.code == CURLE_PARTIAL_FILE)
        return true;
    return attempt.code == CURLE_OK && (attempt.status == 429 || attempt.status >= 500);
}

std::chrono::milliseconds wait_before_retry(const Attempt& attempt, const HttpLimits& limits, int tried)
{
    auto wait = limits.backoff * (1 << (tried - 1));
    if (const auto seconds = parse_integer(attempt.transfer.retry_after))
        wait = std::max(wait, std::chrono::milliseconds(*seconds * 1000));
    return std::min(wait, limits.max_retry_after);
}

std::unexpected<Error> transfer_error(const Attempt& attempt, const Url& url, const HttpLimits& limits, int tried)
{
    if (attempt.transfer.too_large)
        return fail(ErrorCode::network, "{}: the answer is larger than {} (refused)", url.text(),
                    human_bytes(static_cast<long long>(limits.max_bytes)));
    if (attempt.code == CURLE_OPERATION_TIMEDOUT)
        return fail(ErrorCode::timeout, "{}: no complete answer within {} s", url.text(), limits.total_timeout.count());
    if (attempt.code != CURLE_OK)
        return fail(ErrorCode::network, "{}: {} (after {} tries)", url.text(), curl_easy_strerror(attempt.code), tried);
    return fail(ErrorCode::network, "{}: the server answered HTTP {}{}", url.text(), attempt.status,
                tried > 1 ? fmt::format(" ({} tries)", tried) : std::string());
}

// One request, retried as the limits allow; redirects are left to the caller.
Attempt transfer_with_retries(const HttpRequest& request, const Url& url, const HttpLimits& limits, int& tried)
{
    for (tried = 1;; ++tried) {
        auto attempt = transfer_once(request, url, limits);
        if (!worth_retrying(attempt) || tried >= limits.attempts)
            return attempt;
        std::this_thread::sleep_for(wait_before_retry(attempt, limits, tried));
    }
}

} // namespace

Expected<HttpResponse> http_get(const HttpRequest& request, const HttpLimits& limits)
{
    global_init_once();
    Url url = request.url;
    for (int redirects = 0;; ++redirects) {
        int tried = 0;
        auto attempt = transfer_with_retries(request, url, limits, tried);
        if (attempt.code != CURLE_OK || attempt.transfer.too_large)
            return transfer_error(attempt, url, limits, tried);
        const long status = attempt.status;
        if (status >= 300 && status < 400 && status != 304) {
            const auto next = resolve_url(url, attempt.transfer.location);
            if (attempt.transfer.location.empty())
                return fail(ErrorCode::network, "{}: redirect {} without a Location", url.text(), status);
            if (next.host() != url.host() || next.scheme != url.scheme)
                return fail(ErrorCode::network, "{}: redirected to another host or scheme ({}); envpin follows redirects "
                            "only within the index's own host", url.text(), next.text());
            if (redirects >= limits.max_redirects)
                return fail(ErrorCode::network, "{}: more than {} redirects", request.url.text(), limits.max_redirects);
            url = next;
            continue;
        }
        if (status != 200 && status != 206 && status != 304 && status != 404)
            return transfer_error(attempt, url, limits, tried);
        auto& transfer = attempt.transfer;
        return HttpResponse{status, std::move(transfer.body), std::move(transfer.content_type),
                            std::move(transfer.etag), std::move(transfer.last_modified), url};
    }
}

} // namespace envpin::net
