#pragma once
// LD_LIBRARY_PATH shadowing: the loader searches LD_LIBRARY_PATH before a library's RUNPATH,
// so a directory there holding another copy of one of the environment's CUDA libraries makes
// the environment load that copy instead of its own (pytorch/pytorch#111469).
#include <filesystem>
#include <set>
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

// True for the CUDA libraries whose origin matters: libcudart, libcublas, libcublasLt,
// libcudnn and its sub-libraries, libnccl, libnvJitLink, libnvrtc, libcusparse(Lt), libcufft,
// libcurand, libcusolver, libcupti (any soname version, bundled copies included).
[[nodiscard]] bool is_cuda_library_name(std::string_view filename);

// Canonical paths of every library file the environment ships: its nvidia-* wheel libraries
// and torch/lib.
[[nodiscard]] std::set<std::filesystem::path> environment_library_files(const std::filesystem::path& environment);

// The CUDA libraries among `mapped` (files a process has mapped) that are not the
// environment's own: what the loader found elsewhere (LD_LIBRARY_PATH, the system's paths).
[[nodiscard]] std::vector<std::filesystem::path> foreign_cuda_libraries(const std::filesystem::path& environment,
                                                                        const std::vector<std::filesystem::path>& mapped);

// True when both paths name the same file, or files with the same bytes.
[[nodiscard]] bool same_file_contents(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace envpin::verify
