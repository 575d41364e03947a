#include "verify/host/shadowing.hpp"

#include <algorithm>
#include <fstream>

#include "base/strings.hpp"
#include "verify/host/env_libraries.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

bool is_shared_object_name(const std::string& name)
{
    return name.starts_with("lib") && (name.ends_with(".so") || name.find(".so.") != std::string::npos);
}

void collect_libraries(const fs::path& directory, int depth, std::vector<fs::path>& out)
{
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(directory, ec)) {
        const auto name = entry.path().filename().string();
        if (entry.is_directory(ec) && !entry.is_symlink(ec)) {
            if (depth > 0)
                collect_libraries(entry.path(), depth - 1, out);
        } else if (directory.filename() == "lib" && is_shared_object_name(name))
            out.push_back(entry.path());
    }
}

}  // namespace

std::vector<fs::path> list_env_cuda_libraries(const fs::path& environment)
{
    std::vector<fs::path> libraries;
    for (const auto& site : find_site_packages(environment))
        collect_libraries(site / "nvidia", 3, libraries);
    std::ranges::sort(libraries);
    return libraries;
}

bool same_file_contents(const fs::path& a, const fs::path& b)
{
    std::error_code ec;
    if (fs::equivalent(a, b, ec))
        return true;
    if (ec || fs::file_size(a, ec) != fs::file_size(b, ec) || ec)
        return false;
    std::ifstream in_a(a, std::ios::binary), in_b(b, std::ios::binary);
    std::vector<char> block_a(1 << 20), block_b(1 << 20);
    while (in_a && in_b) {
        in_a.read(block_a.data(), static_cast<std::streamsize>(block_a.size()));
        in_b.read(block_b.data(), static_cast<std::streamsize>(block_b.size()));
        if (in_a.gcount() != in_b.gcount() ||
            !std::equal(block_a.begin(), block_a.begin() + in_a.gcount(), block_b.begin()))
            return false;
    }
    return true;
}

bool is_cuda_library_name(std::string_view filename)
{
    static constexpr std::string_view stems[] = {"cudart",   "cublas",  "cublasLt", "cudnn",   "nccl",
                                                 "nvJitLink", "nvrtc",  "cusparse", "cusparseLt", "cufft",
                                                 "curand",   "cusolver", "cupti"};
    if (filename.starts_with("libcudnn_"))  // libcudnn_graph.so.9, libcudnn_ops.so.9, ...
        return filename.find(".so") != std::string_view::npos;
    return std::ranges::any_of(stems, [&](std::string_view stem) { return is_library_file(filename, stem); });
}

std::set<fs::path> environment_library_files(const fs::path& environment)
{
    std::set<fs::path> own;
    std::error_code ec;
    for (const auto& file : list_env_cuda_libraries(environment))
        own.insert(fs::canonical(file, ec));
    for (const auto& site : find_site_packages(environment))
        for (const auto& entry : fs::directory_iterator(site / "torch" / "lib", ec))
            own.insert(fs::canonical(entry.path(), ec));
    return own;
}

std::vector<fs::path> foreign_cuda_libraries(const fs::path& environment, const std::vector<fs::path>& mapped)
{
    const auto own = environment_library_files(environment);
    std::vector<fs::path> foreign;
    for (const auto& file : mapped) {
        std::error_code ec;
        const auto canonical = fs::canonical(file, ec);
        if (is_cuda_library_name(file.filename().string()) && !own.contains(ec ? file : canonical))
            foreign.push_back(ec ? file : canonical);
    }
    std::ranges::sort(foreign);
    const auto [first, last] = std::ranges::unique(foreign);
    foreign.erase(first, last);
    return foreign;
}

std::vector<ShadowingCopy> find_shadowing(const fs::path& environment, std::string_view ld_library_path)
{
    std::vector<ShadowingCopy> found;
    const auto own = list_env_cuda_libraries(environment);
    for (const auto entry : split(ld_library_path, ':')) {
        if (entry.empty())
            continue;
        const fs::path directory(entry);
        for (const auto& library : own) {
            const auto candidate = directory / library.filename();
            std::error_code ec;
            if (!fs::exists(candidate, ec) || same_file_contents(candidate, library))
                continue;
            found.push_back({library.filename().string(), directory, library});
        }
    }
    return found;
}

}  // namespace envpin::verify
