#include "net/catalog_update.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <openssl/evp.h>

#include "base/strings.hpp"
#include "resolver/marker.hpp"

namespace envpin::net {
namespace {

constexpr std::string_view pypi_simple = "https://pypi.org/simple";
constexpr std::array<std::string_view, 3> projects = {"torch", "torchvision", "torchaudio"};

std::string sha256_hex(std::string_view data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i)
        hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

// Runs `work(i)` for i in [0, count) on up to `parallel` threads; the first error wins.
Expected<void> for_each_parallel(size_t count, int parallel, const std::function<Expected<void>(size_t)>& work)
{
    std::atomic<size_t> next{0};
    std::mutex mutex;
    std::optional<Error> first_error;
    auto worker = [&] {
        for (size_t i = next++; i < count; i = next++) {
            {
                const std::lock_guard lock(mutex);
                if (first_error)
                    return;
            }
            if (auto done = work(i); !done) {
                const std::lock_guard lock(mutex);
                if (!first_error)
                    first_error = done.error();
            }
        }
    };
    std::vector<std::jthread> threads;
    for (int t = 0; t < std::max(1, std::min<int>(parallel, static_cast<int>(count))); ++t)
        threads.emplace_back(worker);
    threads.clear();
    if (first_error)
        return std::unexpected(*first_error);
    return {};
}

struct PageJob {
    std::string index;
    Url url;
    std::string_view project;
};

Expected<std::vector<PageJob>> page_jobs(const std::vector<std::string>& indexes)
{
    std::vector<PageJob> jobs;
    for (const auto& index : indexes) {
        auto base = ENVPIN_TRY(parse_url(index));
        if (!base.path.ends_with('/'))
            base.path += '/';
        for (const auto project : projects)
            jobs.push_back({index, resolve_url(base, std::string(project) + "/"), project});
    }
    return jobs;
}

// One index page, checked to be the JSON simple API.
Expected<std::optional<ProjectPage>> read_page(CachedFetcher& fetcher, const PageJob& job)
{
    std::optional<ProjectPage> page;
    const auto check = [&](const Fetched& fetched) -> Expected<void> {
        if (fetched.status == 404)
            return {};
        if (fetched.content_type != simple_json_type && fetched.content_type != "application/json")
            return fail(ErrorCode::network, "{}: answered {} instead of the JSON simple API (PEP 691, {}); envpin reads "
                        "indexes only through it", job.url.text(), fetched.content_type.empty() ? "no content type" : fetched.content_type,
                        simple_json_type);
        auto parsed = parse_project_page(fetched.body, job.url);
        if (!parsed)
            return fail(ErrorCode::network, "{}", parsed.error().message);
        page = std::move(*parsed);
        return {};
    };
    const auto fetched = ENVPIN_TRY(fetcher.get(job.url, simple_json_type, check));
    if (!page && fetched.status != 404)
        ENVPIN_TRY(check(fetched));  // answered from the cache (304 or offline): parse what was kept
    return page;
}

bool wanted(const WheelFilename& name, const UpdateRequest& request)
{
    if (!name.runs_on_linux_x86_64())
        return false;
    return name.distribution != "torch" || !request.torch ||
           request.torch->contains(name.version.public_version(), PreReleases::include);
}

// Wheels of the pages that envpin folds in; bad file names are noted and skipped.
std::vector<IndexedWheel> wheels_of(const std::vector<std::pair<const PageJob*, ProjectPage>>& pages,
                                    const UpdateRequest& request, std::vector<std::string>& notes)
{
    std::vector<IndexedWheel> wheels;
    for (const auto& [job, page] : pages)
        for (const auto& file : page.files) {
            if (!file.filename.ends_with(".whl") || file.yanked)
                continue;
            auto name = WheelFilename::parse(file.filename);
            if (!name) {
                notes.push_back(name.error().message);
                continue;
            }
            if (name->distribution == job->project && wanted(*name, request))
                wheels.push_back({job->index, file, std::move(*name), std::nullopt});
        }
    return wheels;
}

// The wheels of one project, release (local label included) and index share their METADATA.
std::string release_key(const IndexedWheel& wheel)
{
    return wheel.index + "\n" + wheel.name.distribution + "\n" + wheel.name.version.to_string();
}

// One wheel per project, release, local label and index has its METADATA read: the newest
// CPython's (the others differ only in tags). Returns the indexes into `wheels`.
std::vector<size_t> metadata_representatives(const std::vector<IndexedWheel>& wheels)
{
    std::map<std::string, size_t> chosen;
    for (size_t i = 0; i < wheels.size(); ++i) {
        const auto& wheel = wheels[i];
        const auto key = release_key(wheel);
        const auto found = chosen.find(key);
        if (found == chosen.end() || wheel.file.filename > wheels[found->second].file.filename)
            chosen[key] = i;
    }
    std::vector<size_t> indexes;
    for (const auto& [key, index] : chosen)
        indexes.push_back(index);
    return indexes;
}

Expected<CoreMetadata> read_metadata(CachedFetcher& fetcher, const IndexedWheel& wheel)
{
    const auto url = wheel.file.metadata_url();
    std::optional<CoreMetadata> metadata;
    const auto check = [&](const Fetched& fetched) -> Expected<void> {
        if (fetched.status == 404)
            return fail(ErrorCode::network, "{}: the index lists METADATA for {} but serves none", url.text(), wheel.file.filename);
        if (!wheel.file.metadata_sha256.empty() && sha256_hex(fetched.body) != wheel.file.metadata_sha256)
            return fail(ErrorCode::network, "{}: its sha256 is {}, the index says {} (refused)", url.text(),
                        sha256_hex(fetched.body), wheel.file.metadata_sha256);
        auto parsed = CoreMetadata::parse(fetched.body, url.text());
        if (!parsed)
            return fail(ErrorCode::network, "{}", parsed.error().describe());
        metadata = std::move(*parsed);
        return {};
    };
    const auto fetched = ENVPIN_TRY(fetcher.get(url, "*/*", check));
    if (!metadata)
        ENVPIN_TRY(check(fetched));  // answered from the cache: check what was kept
    return std::move(*metadata);
}

// Every other wheel of the same release and index shares its representative's METADATA.
void share_metadata(std::vector<IndexedWheel>& wheels)
{
    std::map<std::string, const CoreMetadata*> read;
    for (const auto& wheel : wheels)
        if (wheel.metadata)
            read[release_key(wheel)] = &*wheel.metadata;
    for (auto& wheel : wheels)
        if (!wheel.metadata)
            if (const auto found = read.find(release_key(wheel)); found != read.end())
                wheel.metadata = *found->second;
}

Expected<std::vector<std::pair<const PageJob*, ProjectPage>>> read_pages(CachedFetcher& fetcher,
                                                                          const std::vector<PageJob>& jobs,
                                                                          const UpdateRequest& request,
                                                                          std::vector<std::string>& notes)
{
    std::vector<std::optional<ProjectPage>> pages(jobs.size());
    std::atomic<size_t> done{0};
    ENVPIN_TRY(for_each_parallel(jobs.size(), request.parallel, [&](size_t i) -> Expected<void> {
        pages[i] = ENVPIN_TRY(read_page(fetcher, jobs[i]));
        if (request.progress)
            request.progress("index pages", ++done, jobs.size());
        return {};
    }));
    std::vector<std::pair<const PageJob*, ProjectPage>> read;
    for (size_t i = 0; i < jobs.size(); ++i) {
        if (pages[i])
            read.emplace_back(&jobs[i], std::move(*pages[i]));
        else
            notes.push_back(fmt::format("{} serves no {} (404)", jobs[i].index, jobs[i].project));
    }
    return read;
}

Expected<size_t> read_all_metadata(CachedFetcher& fetcher, std::vector<IndexedWheel>& wheels, const UpdateRequest& request)
{
    std::vector<size_t> todo;
    for (const auto i : metadata_representatives(wheels))
        if (wheels[i].file.has_metadata)
            todo.push_back(i);
    std::atomic<size_t> done{0};
    ENVPIN_TRY(for_each_parallel(todo.size(), request.parallel, [&](size_t k) -> Expected<void> {
        wheels[todo[k]].metadata = ENVPIN_TRY(read_metadata(fetcher, wheels[todo[k]]));
        if (request.progress)
            request.progress("metadata", ++done, todo.size());
        return {};
    }));
    share_metadata(wheels);
    return todo.size();
}

void keep_requested_releases(CatalogOverlay& overlay, const UpdateRequest& request)
{
    if (request.torch)
        std::erase_if(overlay.releases, [&](const OverlayRelease& release) {
            return !request.torch->contains(release.version, PreReleases::include);
        });
}

} // namespace

std::vector<std::string> default_indexes(const Catalog& catalog)
{
    std::vector<std::string> indexes;
    for (const auto& variant : catalog.variants)
        if (!variant.index_url.empty() && std::ranges::find(indexes, variant.index_url) == indexes.end())
            indexes.push_back(variant.index_url);
    indexes.emplace_back(pypi_simple);
    return indexes;
}

Expected<UpdateResult> read_indexes(const UpdateRequest& request)
{
    CachedFetcher fetcher(request.cache_dir, request.offline, request.limits);
    UpdateResult result;
    const auto jobs = ENVPIN_TRY(page_jobs(request.indexes));
    const auto pages = ENVPIN_TRY(read_pages(fetcher, jobs, request, result.notes));
    auto wheels = wheels_of(pages, request, result.notes);
    result.metadata_files = ENVPIN_TRY(read_all_metadata(fetcher, wheels, request));
    result.pages = pages.size();
    result.wheels = wheels.size();
    result.overlay = derive_overlay(wheels, request.indexes, request.today, result.notes);
    keep_requested_releases(result.overlay, request);
    result.counts = fetcher.counts();
    return result;
}

} // namespace envpin::net
