#pragma once
// Sources envpin carries inside its binary, so an installed envpin can write them out: the
// LibTorch training probe's CMake project (verify/checks/train/) and the Python probe script
// (verify/checks/python_probe.py). Generated from those files at build time
// (verify/runner/embedded_sources.cpp.in).
#include <string_view>

namespace envpin::verify::embedded {

[[nodiscard]] std::string_view train_cmakelists();  // verify/checks/train/CMakeLists.txt
[[nodiscard]] std::string_view train_source();      // verify/checks/train/train_probe.cpp
[[nodiscard]] std::string_view python_probe();      // verify/checks/python_probe.py

}  // namespace envpin::verify::embedded
