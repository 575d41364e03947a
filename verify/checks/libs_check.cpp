// The `libs` check: loads the environment's own libcudart, libcublas, libcudnn and libnccl
// (from its nvidia-* wheels) in this child, asks each for its version, reports the file the
// loader actually mapped, and compares the versions with the stack's distributions. None of
// these calls needs a GPU or a driver. The C entry points are declared here, not taken from
// vendor headers, so envpin builds without CUDA.
#include <algorithm>
#include <cstdlib>

#include "base/strings.hpp"
#include "sys/file.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/checks/registry.hpp"
#include "verify/host/env_distributions.hpp"
#include "verify/host/env_libraries.hpp"
#include "verify/host/shadowing.hpp"
#include "verify/runner/hints.hpp"
#include "verify/vendor/shared_library.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

// "13.0" from cudaRuntimeGetVersion's 13000.
Expected<std::string> cudart_version(const SharedLibrary& library)
{
    const auto get = library.symbol<int (*)(int*)>("cudaRuntimeGetVersion");
    int version = 0;
    if (get == nullptr || get(&version) != 0)
        return fail(ErrorCode::cuda, "cudaRuntimeGetVersion failed");
    return fmt::format("{}.{}", version / 1000, version % 1000 / 10);
}

// "13.1.0" from cublasGetProperty(MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2),
// which, unlike cublasGetVersion, needs no handle and so no GPU.
Expected<std::string> cublas_version(const SharedLibrary& library)
{
    const auto get = library.symbol<int (*)(int, int*)>("cublasGetProperty");
    int parts[3] = {};
    for (int i = 0; i < 3; ++i)
        if (get == nullptr || get(i, &parts[i]) != 0)
            return fail(ErrorCode::cuda, "cublasGetProperty failed");
    return fmt::format("{}.{}.{}", parts[0], parts[1], parts[2]);
}

// "9.19.0" from cudnnGetVersion's 91900 (cuDNN 9: M*10000 + m*100 + p; cuDNN 8: M*1000 + m*100 + p).
Expected<std::string> cudnn_version(const SharedLibrary& library)
{
    const auto get = library.symbol<size_t (*)()>("cudnnGetVersion");
    if (get == nullptr)
        return fail(ErrorCode::cuda, "libcudnn has no cudnnGetVersion");
    return cudnn_version_text(static_cast<long long>(get()));
}

// "2.28.9" from ncclGetVersion's 22809 (since 2.9: M*10000 + m*100 + p; before: M*1000 + m*100 + p).
Expected<std::string> nccl_version(const SharedLibrary& library)
{
    const auto get = library.symbol<int (*)(int*)>("ncclGetVersion");
    int v = 0;
    if (get == nullptr || get(&v) != 0)
        return fail(ErrorCode::cuda, "ncclGetVersion failed");
    return nccl_version_text(v);
}

struct LibrarySpec {
    const char* stem;          // lib<stem>.so.N
    const char* distribution;  // name prefix of the wheel that ships it
    Expected<std::string> (*version)(const SharedLibrary&);
};

constexpr LibrarySpec libraries[] = {
    {"cudart", "nvidia-cuda-runtime", cudart_version},
    {"cublas", "nvidia-cublas", cublas_version},
    {"cudnn", "nvidia-cudnn", cudnn_version},
    {"nccl", "nvidia-nccl", nccl_version},
};

// Every file mapped into this process (/proc/self/maps).
std::vector<fs::path> mapped_files()
{
    std::vector<fs::path> files;
    const auto maps = sys::read_file("/proc/self/maps");
    if (!maps)
        return files;
    for (const auto line : split(*maps, '\n')) {
        const size_t slash = line.find('/');
        if (slash == std::string_view::npos)
            continue;
        files.emplace_back(line.substr(slash));
    }
    return files;
}

struct LoadOutcome {
    Finding finding;
    std::optional<SharedLibrary> library;  // kept open until the mapping scan is done
    nlohmann::json measurement;
};

LoadOutcome load_one(const LibrarySpec& spec, const ProbeRequest& request,
                     const std::map<std::string, std::string>& installed)
{
    LoadOutcome out{{std::string("lib") + spec.stem}};
    auto& f = out.finding;
    const auto path = find_env_library(request.environment, spec.stem);
    const auto expected = expected_distribution(spec.distribution, request, installed);
    if (!path) {
        f.status = CheckStatus::fail;
        f.detail = "missing from the environment (no site-packages/nvidia/*/lib/lib" + std::string(spec.stem) + ".so*)";
        f.hint = hint_for("lib" + std::string(spec.stem) + ".so: cannot open shared object file");
        return out;
    }
    auto library = SharedLibrary::open(path->string());
    if (!library) {
        f.status = CheckStatus::fail;
        f.detail = library.error().message;
        f.hint = hint_for(library.error().message);
        return out;
    }
    std::error_code ec;
    const auto mapped = fs::canonical(library->mapped_path(), ec);
    out.measurement = {{"path", path->string()}, {"mapped", mapped.string()}};
    const auto version = spec.version(*library);
    out.library = std::move(*library);
    if (!version) {
        f.status = CheckStatus::error;
        f.detail = version.error().message + " (" + mapped.string() + ")";
        return out;
    }
    out.measurement["version"] = *version;
    f.detail = *version + " from " + mapped.string();
    if (!expected) {
        f.detail += " (no distribution to compare with)";
        return out;
    }
    out.measurement["distribution"] = {{"name", expected->first}, {"version", expected->second}};
    if (!versions_agree(*version, expected->second)) {
        f.status = CheckStatus::fail;
        f.detail += fmt::format(", but the stack has {} {}", expected->first, expected->second);
        f.hint = "The environment's libraries do not match its distributions (files replaced or mixed): reset "
                 "the environment to a verified snapshot (`envpin reset`) or reinstall " +
                 expected->first + ".";
    } else
        f.detail += fmt::format(", matches {} {}", expected->first, expected->second);
    return out;
}

// CUDA libraries mapped from outside the environment (a dependency the loader found through
// LD_LIBRARY_PATH or the system's paths instead of the environment's own copy).
std::optional<Finding> foreign_mappings(const fs::path& environment)
{
    const auto foreign = foreign_cuda_libraries(environment, mapped_files());
    if (foreign.empty())
        return std::nullopt;
    std::vector<std::string> names;
    for (const auto& file : foreign)
        names.push_back(file.string());
    return Finding{"mapped from outside the environment", CheckStatus::fail, join(names, ", "),
                   "The environment's libraries pulled these from another CUDA installation (LD_LIBRARY_PATH or "
                   "the system's library paths) because the environment lacks its own copy or LD_LIBRARY_PATH "
                   "comes first: remove those directories from LD_LIBRARY_PATH, or reset the environment."};
}

}  // namespace

CheckResult run_libs_check(const ProbeRequest& request)
{
    Stopwatch clock;
    const auto installed = installed_distributions(request.environment);
    std::vector<LoadOutcome> outcomes;
    for (const auto& spec : libraries)
        outcomes.push_back(load_one(spec, request, installed));
    const bool none = std::ranges::all_of(outcomes, [](const LoadOutcome& o) {
        return o.finding.detail.starts_with("missing from the environment");
    });
    if (none && requested_device(request) != "gpu") {
        CheckResult result{.name = "libs", .status = CheckStatus::skip};
        result.detail = "the environment has no CUDA libraries of its own (a CPU-only torch, or no torch)";
        result.duration_ms = clock.elapsed_ms();
        return result;
    }
    std::vector<Finding> findings;
    auto loaded = nlohmann::json::object();
    for (auto& outcome : outcomes) {
        findings.push_back(outcome.finding);
        loaded[outcome.finding.name] = outcome.measurement;
    }
    if (auto f = foreign_mappings(request.environment))
        findings.push_back(std::move(*f));
    if (const char* ld_path = std::getenv("LD_LIBRARY_PATH"); ld_path != nullptr && *ld_path) {
        for (const auto& copy : find_shadowing(request.environment, ld_path))
            findings.push_back({copy.library, CheckStatus::fail,
                                "shadowed by the copy in " + copy.directory.string() + " (LD_LIBRARY_PATH)",
                                hint_for("undefined symbol")});
    }
    auto result = combine_findings("libs", findings);
    result.measurements["libraries"] = loaded;
    result.duration_ms = clock.elapsed_ms();
    return result;
}

}  // namespace envpin::verify
