#pragma once
// Sources envpin carries inside its binary, so an installed envpin can write them out: the
// LibTorch training probe's CMake project (verify/train/) and the Python probe script
// (verify/python_probe.py). Generated from those files at build time
// (verify/embedded_sources.cpp.in).
#include <string_view>

namespace envpin::verify::embedded {

[[nodiscard]] std::string_view train_cmakelists();  // verify/train/CMakeLists.txt
[[nodiscard]] std::string_view train_source();      // verify/train/train_probe.cpp
[[nodiscard]] std::string_view python_probe();      // verify/python_probe.py

}  // namespace envpin::verify::embedded
