#include "net/http.hpp"

#include <curl/curl.h>
#include <dlfcn.h>

#include <memory>
#include <mutex>
#include <thread>

#include "base/strings.hpp"

namespace envpin::net {
namespace {

// libcurl, loaded on first use: only `envpin catalog update` speaks HTTP, and linking it made
// every command load some twenty libraries it never used (a third of each start's time).
struct CurlApi {
    CURL* (*easy_init)() = nullptr;
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
    CURLcode (*easy_perform)(CURL*) = nullptr;
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
    void (*easy_cleanup)(CURL*) = nullptr;
    const char* (*easy_strerror)(CURLcode) = nullptr;
    curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
    void (*slist_free_all)(curl_slist*) = nullptr;
};

struct LibraryCloser {
    void operator()(void* library) const { ::dlclose(library); }
};

Expected<CurlApi> load_curl()
{
    // Kept loaded (RTLD_NODELETE) until the process ends: handles may outlive any scope here.
    static std::unique_ptr<void, LibraryCloser> library;
    std::string why;
    for (const char* name : {"libcurl.so.4", "libcurl-gnutls.so.4"}) {
        library.reset(::dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE));
        if (library)
            break;
        why = ::dlerror();
    }
    if (!library)
        return fail(ErrorCode::network, "reading over HTTP needs libcurl (libcurl.so.4), which could not be loaded: {}", why);
    CurlApi api;
    const char* missing = nullptr;
    const auto bind = [&]<typename Function>(Function& slot, const char* symbol) {
        slot = reinterpret_cast<Function>(::dlsym(library.get(), symbol));
        if (slot == nullptr && missing == nullptr)
            missing = symbol;
    };
    CURLcode (*global_init)(long) = nullptr;
    bind(global_init, "curl_global_init");
    bind(api.easy_init, "curl_easy_init");
    bind(api.easy_setopt, "curl_easy_setopt");
    bind(api.easy_perform, "curl_easy_perform");
    bind(api.easy_getinfo, "curl_easy_getinfo");
    bind(api.easy_cleanup, "curl_easy_cleanup");
    bind(api.easy_strerror, "curl_easy_strerror");
    bind(api.slist_append, "curl_slist_append");
    bind(api.slist_free_all, "curl_slist_free_all");
    if (missing != nullptr)
        return fail(ErrorCode::network, "the libcurl found lacks {}", missing);
    global_init(CURL_GLOBAL_DEFAULT);
    return api;
}

// The API, loaded once (thread-safe), or why it could not be.
const Expected<CurlApi>& curl_api()
{
    static const Expected<CurlApi> api = load_curl();
    return api;
}

// Only called once curl_api() succeeded (http_get checks it first).
const CurlApi& curl()
{
    return *curl_api();
}

// libcurl's handles, owned here and nowhere else.
struct EasyDeleter {
    void operator()(CURL* handle) const { curl().easy_cleanup(handle); }
};
struct ListDeleter {
    void operator()(curl_slist* list) const { curl().slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, ListDeleter>;

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
    auto add = [&](const std::string& header) { list = curl().slist_append(list, header.c_str()); };
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
    EasyHandle easy(curl().easy_init());
    if (!easy) {
        attempt.code = CURLE_FAILED_INIT;
        return attempt;
    }
    const auto text = url.text();
    const auto headers = request_headers(request);
    const auto range = request.range ? range_text(*request.range) : std::string();
    CURL* handle = easy.get();
    curl().easy_setopt(handle, CURLOPT_URL, text.c_str());
    curl().easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    curl().easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl().easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl().easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl().easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limits.connect_timeout.count() * 1000));
    curl().easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(limits.total_timeout.count() * 1000));
    curl().easy_setopt(handle, CURLOPT_USERAGENT, "envpin (catalog update)");
    curl().easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, "");  // gzip and friends, decoded by libcurl
    curl().easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl().easy_setopt(handle, CURLOPT_WRITEDATA, &attempt.transfer);
    curl().easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl().easy_setopt(handle, CURLOPT_HEADERDATA, &attempt.transfer);
    if (!range.empty())
        curl().easy_setopt(handle, CURLOPT_RANGE, range.c_str());
    attempt.code = curl().easy_perform(handle);
    curl().easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &attempt.status);
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
        return fail(ErrorCode::network, "{}: {} (after {} tries)", url.text(), curl().easy_strerror(attempt.code), tried);
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
    if (const auto& api = curl_api(); !api)
        return std::unexpected(api.error());
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
