#include "tests/support/stand_in_stack.hpp"

#include <gtest/gtest.h>

#include "base/strings.hpp"
#include "sys/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace fs = std::filesystem;
namespace {

// Runs CUDA 12.8 natively, so the catalog's cu128 build is the answer on any machine.
constexpr const char* stand_in_driver = "570.86.15";

}  // namespace

std::vector<fs::path> make_wheels(const fs::path& out, const std::vector<std::string>& specs)
{
    sys::ProcessSpec spec;
    spec.argv = {"python3", (fs::path(ENVPIN_SOURCE_DIR) / "tests/data/make_wheels.py").string(), out.string()};
    spec.argv.insert(spec.argv.end(), specs.begin(), specs.end());
    spec.timeout = std::chrono::seconds(60);
    const auto result = sys::run_process(spec);
    std::vector<fs::path> wheels;
    if (!result || !result->success()) {
        ADD_FAILURE() << "make_wheels.py failed: " << (result ? result->err : result.error().describe());
        return wheels;
    }
    for (const auto line : split(result->out, '\n'))
        if (!trim(line).empty())
            wheels.emplace_back(std::string(trim(line)));
    return wheels;
}

std::vector<std::string> torch_family(const std::string& cudnn)
{
    return {"torch==2.7.1+cu128:nvidia-cudnn-cu12==" + cudnn + ",triton==3.3.1", "nvidia-cudnn-cu12==" + cudnn,
            "triton==3.3.1"};
}

std::string stand_in_catalog(const std::string& index_url, const std::string& pypi_default)
{
    const auto cpu_url = index_url.substr(0, index_url.rfind('/')) + "/cpu";
    return R"(format = 1
[[cuda_major]]
major = 12
compat_floor = "525.60.13"
[[cuda]]
version = "12.8"
driver = "570.26"
[[variant]]
name = "cpu"
index_url = ")" + cpu_url + R"("
[[variant]]
name = "cu128"
cuda = "12.8"
index_url = ")" + index_url + R"("
[[torch]]
version = "2.7.1"
python = ["3.9", "3.10", "3.11", "3.12", "3.13"]
triton = "3.3.1"
)" + (pypi_default.empty() ? std::string() : "pypi_default = \"" + pypi_default + "\"\n") + R"([[build]]
torch = ["2.7.1"]
variant = "cu128"
arch = ["sm_80", "sm_90"]
requires = ["nvidia-cudnn-cu12==9.7.1.26"]
[[build]]
torch = ["2.7.1"]
variant = "cpu"
)";
}

void CreateTest::SetUp()
{
    variant_index =
        std::make_unique<IndexServer>(dir / "variant", make_wheels(dir / "variant-wheels", torch_family()), "cu128");
    extras_index = std::make_unique<IndexServer>(dir / "extras", example_wheels());
    write_text(catalog, stand_in_catalog(variant_index->url()));
}

EnvpinRun CreateTest::create(std::vector<std::string> arguments,
                             std::vector<std::pair<std::string, std::string>> environment,
                             const std::optional<fs::path>& cwd) const
{
    arguments.insert(arguments.begin(), {"--store", store().string(), "create"});
    environment.emplace_back("ENVPIN_DRIVER_VERSION", stand_in_driver);
    return run_envpin(arguments, environment, 300, std::nullopt, cwd);
}

EnvpinRun CreateTest::envpin(std::vector<std::string> arguments) const
{
    arguments.insert(arguments.begin(), {"--store", store().string()});
    return run_envpin(arguments, {{"ENVPIN_DRIVER_VERSION", stand_in_driver}}, 300);
}

std::vector<std::string> CreateTest::stack_flags(const std::string& name, const std::string& installer) const
{
    return {name,           "--torch",       "2.7.*", "--catalog",   catalog.string(),
            "--installer",  installer,       "--path", (dir / name).string(), "--lock",
            lock.string(),  "--index-url",   extras_index->url()};
}

std::string CreateTest::installed_version(const std::string& name, const std::string& distribution) const
{
    sys::ProcessSpec spec;
    spec.argv = {(dir / name / "bin/python").string(), "-c",
                 "import importlib.metadata as m, sys\ntry: print(m.version(sys.argv[1]))\nexcept Exception: pass",
                 distribution};
    const auto result = sys::run_process(spec);
    return result && result->success() ? std::string(trim(result->out)) : "";
}

}  // namespace envpin::test
