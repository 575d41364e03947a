#pragma once
// Wheel file names (PEP 427 / binary distribution format):
//   torch-2.11.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl
//   {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl
// Tags may be compressed sets ("cp312.cp313", "manylinux_2_17_x86_64.manylinux2014_x86_64").
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/version.hpp"

namespace envpin {

struct WheelFilename {
    std::string distribution; // normalized (PEP 503)
    Version version;
    std::vector<std::string> python;   // "cp312"
    std::vector<std::string> abi;      // "cp312", "cp313t", "abi3", "none"
    std::vector<std::string> platform; // "manylinux_2_28_x86_64"

    // Fails with bad_input naming the file name and what was expected.
    [[nodiscard]] static Expected<WheelFilename> parse(std::string_view filename);

    // True when one platform tag is for Linux on x86_64 (manylinux*, musllinux*, linux) or any.
    [[nodiscard]] bool runs_on_linux_x86_64() const;
    // The CPython versions the wheel is for, "3.12" or "3.13t" (free-threaded ABI); empty for
    // a pure-Python ("py3") wheel.
    [[nodiscard]] std::vector<std::string> cpython_versions() const;
};

} // namespace envpin
