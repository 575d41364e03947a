#pragma once
// A stand-in PyTorch family for `envpin create` tests: small real wheels (tests/data/
// make_wheels.py) whose Requires-Dist pins nvidia-* and triton as the real torch wheels do,
// served by real indexes on 127.0.0.1, and a catalog whose cu128 build of torch 2.7.1 points
// at such an index. Creates run as on a host with NVIDIA driver 570.86.15 and no GPU, so the
// cu128 build is the answer on any machine.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/index_server.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {

// Writes wheels for `specs` ("torch==2.7.1+cu128:nvidia-cudnn-cu12==9.7.1.26,triton==3.3.1")
// into `out`; returns their paths.
[[nodiscard]] std::vector<std::filesystem::path> make_wheels(const std::filesystem::path& out,
                                                             const std::vector<std::string>& specs);

// torch 2.7.1+cu128 pinning cuDNN `cudnn` and triton 3.3.1, with those two wheels.
[[nodiscard]] std::vector<std::string> torch_family(const std::string& cudnn = "9.7.1.26");

// A catalog with torch 2.7.1 (cu128: nvidia-cudnn-cu12==9.7.1.26, triton 3.3.1; and cpu) whose
// cu128 variant is served at `index_url` (".../cu128"; the cpu variant's ".../cpu" beside it).
// `pypi_default`: the catalog says PyPI's torch 2.7.1 is that build (its pypi_default).
[[nodiscard]] std::string stand_in_catalog(const std::string& index_url, const std::string& pypi_default = "");

class CreateTest : public StoreTest {
protected:
    // `envpin --store S create <arguments>` on the stand-in host, with `environment` added, in
    // `cwd` when given.
    EnvpinRun create(std::vector<std::string> arguments,
                     std::vector<std::pair<std::string, std::string>> environment = {},
                     const std::optional<std::filesystem::path>& cwd = std::nullopt) const;

    // `envpin --store S <arguments>` on the same stand-in host (verified marks are per host).
    EnvpinRun envpin(std::vector<std::string> arguments) const;

    // --torch 2.7.* --catalog, --installer, --path dir/<name>, --lock dir/envpin.lock and
    // --index-url of the extras index.
    [[nodiscard]] std::vector<std::string> stack_flags(const std::string& name, const std::string& installer) const;

    // The version of `distribution` installed in the environment dir/<name>; "" when absent.
    [[nodiscard]] std::string installed_version(const std::string& name, const std::string& distribution) const;

    // Starts the variant index (torch_family()) and the extras index (tinyops 1.0.0 and 2.0.0)
    // and writes the catalog.
    void SetUp() override;

    std::filesystem::path catalog = dir / "catalog.toml";
    std::filesystem::path lock = dir / "envpin.lock";
    std::unique_ptr<IndexServer> variant_index;
    std::unique_ptr<IndexServer> extras_index;
};

}  // namespace envpin::test
