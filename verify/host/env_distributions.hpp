#pragma once
// Which version of a CUDA library's distribution the environment should have: the stack's pin
// (a "dist:NAME" check parameter, from the lock or snapshot) or else the *.dist-info the
// environment has installed; and whether a library's own version agrees with it.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "verify/runner/check_result.hpp"

namespace envpin::verify {

// "nvidia_cudnn_cu13" -> "nvidia-cudnn-cu13" (PEP 503, lower case).
[[nodiscard]] std::string normalize_distribution_name(std::string_view name);

// "nvidia-cudnn" names "nvidia-cudnn" and "nvidia-cudnn-cu13", not "nvidia-cudnn-frontend".
[[nodiscard]] bool is_distribution(std::string_view normalized_name, std::string_view prefix);

// Installed distributions of the environment: normalized name -> version.
[[nodiscard]] std::map<std::string, std::string> installed_distributions(const std::filesystem::path& environment);

// {name, version} of the distribution named by `prefix`: the request's "dist:NAME" parameter
// first, then `installed`; nullopt when neither has one.
[[nodiscard]] std::optional<std::pair<std::string, std::string>> expected_distribution(
    std::string_view prefix, const ProbeRequest& request, const std::map<std::string, std::string>& installed);

// True when every component of `runtime` ("9.19.0") equals the same component of
// `distribution` ("9.19.0.56").
[[nodiscard]] bool versions_agree(std::string_view runtime, std::string_view distribution);

// "9.19.0" from cudnnGetVersion's 91900 (cuDNN 9: M*10000 + m*100 + p; 8: M*1000 + m*100 + p).
[[nodiscard]] std::string cudnn_version_text(long long encoded);
// "2.28.9" from ncclGetVersion's 22809 (since 2.9: M*10000 + m*100 + p; before: M*1000 + m*100 + p).
[[nodiscard]] std::string nccl_version_text(long long encoded);

}  // namespace envpin::verify
