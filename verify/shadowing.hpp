#pragma once
// LD_LIBRARY_PATH shadowing: the loader searches LD_LIBRARY_PATH before a library's RUNPATH,
// so a directory there holding another copy of one of the environment's CUDA libraries makes
// the environment load that copy instead of its own (pytorch/pytorch#111469).
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace envpin::verify {

// Every shared-object file the environment ships as a CUDA wheel library:
// site-packages/nvidia/**/lib/lib*.so*, as found (not resolved).
[[nodiscard]] std::vector<std::filesystem::path> list_env_cuda_libraries(const std::filesystem::path& environment);

struct ShadowingCopy {
    std::string library;                      // "libcudnn.so.9"
    std::filesystem::path directory;          // the LD_LIBRARY_PATH entry
    std::filesystem::path environment_copy;   // the environment's own file
    bool operator==(const ShadowingCopy&) const = default;
};

// The LD_LIBRARY_PATH entries (`ld_library_path`, colon-separated) that hold a file named like
// one of the environment's CUDA libraries which is not the same file and not byte-identical.
[[nodiscard]] std::vector<ShadowingCopy> find_shadowing(const std::filesystem::path& environment,
                                                        std::string_view ld_library_path);

// True when both paths name the same file, or files with the same bytes.
[[nodiscard]] bool same_file_contents(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace envpin::verify
