#pragma once
// Parsers for the host files and tool outputs the host probe reads. Pure: they take the
// text, so tests feed them real samples.
#include <optional>
#include <string>
#include <string_view>

namespace envpin::verify {

// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 ..." and the open
// module's "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build ..."
// -> "535.104.05" / "580.95.05".
[[nodiscard]] std::optional<std::string> parse_proc_driver_version(std::string_view text);

// /sys/module/nvidia/version holds the bare version ("580.95.05\n").
[[nodiscard]] std::optional<std::string> parse_sys_module_version(std::string_view text);

// `nvidia-smi --query-gpu=driver_version --format=csv,noheader`: one line per GPU.
[[nodiscard]] std::optional<std::string> parse_nvidia_smi_driver(std::string_view text);

// A CUDA toolkit's version.json: {"cuda": {"name": "CUDA SDK", "version": "12.4.1"}, ...}.
[[nodiscard]] std::optional<std::string> parse_cuda_version_json(std::string_view text);

// cuda.h's "#define CUDA_VERSION 13000" -> "13.0" (toolkits without version.json).
[[nodiscard]] std::optional<std::string> parse_cuda_header_version(std::string_view text);

// /etc/os-release PRETTY_NAME ("Debian GNU/Linux 12 (bookworm)").
[[nodiscard]] std::optional<std::string> parse_os_release(std::string_view text);

// "Python 3.12.3" -> "3.12.3".
[[nodiscard]] std::optional<std::string> parse_python_version_output(std::string_view text);

}  // namespace envpin::verify
