#include "verify/runner/train_probe_build.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "base/strings.hpp"
#include "sys/file.hpp"
#include "sys/process.hpp"
#include "verify/host/env_libraries.hpp"
#include "verify/runner/digest.hpp"
#include "verify/runner/embedded_sources.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

constexpr const char* binary_name = "envpin-train-probe";

bool has_torch_config(const fs::path& directory)
{
    std::error_code ec;
    return fs::is_regular_file(directory / "TorchConfig.cmake", ec);
}

// "size mtime_ns" of a file, or "" when absent.
std::string stat_identity(const fs::path& path)
{
    struct stat info{};
    if (::stat(path.c_str(), &info) != 0)
        return {};
    return fmt::format("{} {}.{}", info.st_size, info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
}

// The torch-*.dist-info/RECORD of the site-packages holding this Torch directory, or "".
std::string wheel_record(const fs::path& torch_cmake_dir)
{
    // site-packages/torch/share/cmake/Torch -> site-packages
    const auto site = torch_cmake_dir.parent_path().parent_path().parent_path().parent_path();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(site, ec)) {
        const auto name = entry.path().filename().string();
        if (name.starts_with("torch-") && name.ends_with(".dist-info"))
            return sys::read_file(entry.path() / "RECORD").value_or("");
    }
    return {};
}

// Output of a failed build step: its last lines, which hold the compiler's error.
std::string tail_lines(std::string_view text, size_t lines)
{
    size_t position = text.size();
    for (size_t seen = 0; position > 0 && seen <= lines; --position)
        if (text[position - 1] == '\n')
            ++seen;
    return std::string(trim(text.substr(position)));
}

struct BuildDirectory {
    fs::path path;
    ~BuildDirectory()
    {
        std::error_code ec;
        if (!path.empty())
            fs::remove_all(path, ec);
    }
};

Expected<void> run_step(std::vector<std::string> argv, const fs::path& log_path,
                        std::chrono::steady_clock::time_point deadline, const char* what)
{
    sys::ProcessSpec spec;
    spec.argv = std::move(argv);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    spec.timeout = std::max(left, std::chrono::milliseconds(1));
    const auto result = ENVPIN_TRY(sys::run_process(spec));
    std::ofstream(log_path, std::ios::app) << "$ " << join(spec.argv, " ") << '\n' << result.out << result.err << '\n';
    if (result.timed_out)
        return fail(ErrorCode::timeout, "{} the training probe {}; log: {}", what, result.describe_status(),
                    log_path.string());
    if (!result.success())
        return fail(ErrorCode::io, "{} the training probe failed ({}); log: {}\n{}", what, result.describe_status(),
                    log_path.string(), tail_lines(result.out + result.err, 15));
    return {};
}

// Writes the embedded sources to <directory>/src, configures and builds in <directory>/build,
// and leaves <directory>/envpin-train-probe; every step's output is appended to `log`.
Expected<void> build_into(const fs::path& directory, const fs::path& torch_dir, const fs::path& cmake,
                          const fs::path& log, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::error_code ec;
    fs::create_directories(directory / "src", ec);
    ENVPIN_TRY(sys::write_file_atomic(directory / "src/CMakeLists.txt", embedded::train_cmakelists()));
    ENVPIN_TRY(sys::write_file_atomic(directory / "src/train_probe.cpp", embedded::train_source()));
    const auto build = directory / "build";
    ENVPIN_TRY(run_step({cmake.string(), "-S", (directory / "src").string(), "-B", build.string(),
                         "-DCMAKE_BUILD_TYPE=Release", "-DTorch_DIR=" + torch_dir.string()},
                        log, deadline, "configuring"));
    const auto jobs = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
    ENVPIN_TRY(run_step({cmake.string(), "--build", build.string(), "-j", jobs}, log, deadline, "building"));
    fs::rename(build / binary_name, directory / binary_name, ec);
    if (ec)
        return fail(ErrorCode::io, "the training probe build left no {}: {}", binary_name, ec.message());
    fs::remove_all(build, ec);  // objects are not needed once linked
    return {};
}

}  // namespace

std::optional<fs::path> find_torch_cmake_dir(const fs::path& environment, const std::optional<fs::path>& torch_dir)
{
    for (const auto& site : find_site_packages(environment))
        if (auto dir = site / "torch/share/cmake/Torch"; has_torch_config(dir))
            return dir;
    if (!torch_dir)
        return std::nullopt;
    for (const auto& dir : {*torch_dir, *torch_dir / "share/cmake/Torch", *torch_dir / "lib/cmake/Torch"})
        if (has_torch_config(dir)) {
            std::error_code ec;
            return fs::canonical(dir, ec);
        }
    return std::nullopt;
}

std::string train_probe_key(const fs::path& torch_cmake_dir)
{
    std::string identity = "envpin-train-probe 1\n";
    identity += embedded::train_cmakelists();
    identity += embedded::train_source();
    identity += torch_cmake_dir.string() + '\n';
    identity += sys::read_file(torch_cmake_dir / "TorchConfigVersion.cmake").value_or("");
    identity += wheel_record(torch_cmake_dir);
    // Wheel: torch/share/cmake/Torch -> torch/lib; Debian: <libdir>/cmake/Torch -> <libdir>.
    for (const auto& lib : {torch_cmake_dir / "../../../lib/libtorch.so", torch_cmake_dir / "../../libtorch.so"})
        identity += stat_identity(lib) + '\n';
    return sha256_hex(identity).substr(0, 16);
}

Expected<TrainProbe> prepare_train_probe(const TrainProbeRequest& request)
{
    TrainProbe probe;
    const auto torch_dir = find_torch_cmake_dir(request.environment, request.torch_dir);
    if (!torch_dir)
        return fail(ErrorCode::not_found,
                    "no LibTorch: the environment's torch has no share/cmake/Torch/TorchConfig.cmake{}",
                    request.torch_dir ? " and neither has " + request.torch_dir->string() : ", and no --torch-dir was given");
    probe.torch_dir = *torch_dir;
    probe.key = train_probe_key(*torch_dir);
    const auto final_dir = request.cache_root / "train" / probe.key;
    probe.binary = final_dir / binary_name;
    std::error_code ec;
    if (fs::is_regular_file(probe.binary, ec))
        return probe;
    const auto cmake = sys::find_on_path("cmake");
    if (!cmake)
        return fail(ErrorCode::not_found, "cmake is not on PATH: the training probe is built at first use");
    BuildDirectory staging{request.cache_root / "train" / fmt::format(".build-{}-{}", probe.key, ::getpid())};
    fs::remove_all(staging.path, ec);
    fs::create_directories(staging.path, ec);
    if (ec)
        return fail(ErrorCode::io, "cannot create {}: {}", staging.path.string(), ec.message());
    // The log lives beside the cache entry, so it survives a failed build for the user to read.
    const auto log = request.cache_root / "train" / (probe.key + ".build.log");
    fs::remove(log, ec);
    if (request.on_build_start)
        request.on_build_start();
    const auto start = std::chrono::steady_clock::now();
    ENVPIN_TRY(build_into(staging.path, *torch_dir, *cmake, log, request.build_timeout));
    probe.build_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    probe.built_now = true;
    // A concurrent build of the same key may have won the rename: its probe is as good as ours.
    fs::rename(staging.path, final_dir, ec);
    if (!ec)
        staging.path.clear();
    if (!fs::is_regular_file(probe.binary))
        return fail(ErrorCode::io, "cannot move the training probe into {}: {}", final_dir.string(), ec.message());
    return probe;
}

}  // namespace envpin::verify
