#pragma once
// Environments for the verify tests, made of real files: a CUDA-wheel layout whose libraries
// link to the CUDA toolkit's (real versions, loadable without a GPU), and Python virtual
// environments from the system interpreter.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace envpin::test {

// The toolkit's library directory (/usr/local/cuda/lib64 or $CUDA_HOME/lib64) when it holds
// libcudart, libcublas, libcudnn and libnccl; nullopt otherwise (tests skip).
[[nodiscard]] std::optional<std::filesystem::path> cuda_library_dir();

// Makes <env>/lib/python3.12/site-packages/nvidia/{cu13,cudnn,nccl}/lib with symlinks to the
// toolkit's libraries (cuDNN with its sub-libraries), as CUDA 13 wheels lay them out. Libraries whose stem is in `omit`
// ("nccl", "cublasLt", ...) are left out.
void make_cuda_wheel_env(const std::filesystem::path& env, const std::vector<std::string>& omit = {});

// Adds an empty <name>-<version>.dist-info directory, as an installer leaves one.
void add_distribution(const std::filesystem::path& env, const std::string& name, const std::string& version);

// `python3 -m venv --without-pip` at `path` from /usr/bin/python3; with system site-packages
// when asked (Debian's python3-torch then imports). False when it could not be made.
[[nodiscard]] bool make_venv(const std::filesystem::path& path, bool system_site_packages);

// Whether /usr/bin/python3 imports torch (Debian's python3-torch).
[[nodiscard]] bool system_python_has_torch();

}  // namespace envpin::test
