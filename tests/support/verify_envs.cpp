#include "tests/support/verify_envs.hpp"

#include <algorithm>
#include <cstdlib>

#include "sys/process.hpp"

namespace envpin::test {
namespace fs = std::filesystem;

std::optional<fs::path> cuda_library_dir()
{
    const char* home = std::getenv("CUDA_HOME");
    for (const fs::path root : {fs::path(home != nullptr && *home ? home : "/usr/local/cuda"), fs::path("/usr/local/cuda")}) {
        const auto lib = root / "lib64";
        std::error_code ec;
        if (fs::exists(lib / "libcudart.so.13", ec) && fs::exists(lib / "libcublas.so.13", ec) &&
            fs::exists(lib / "libcublasLt.so.13", ec) && fs::exists(lib / "libcudnn.so.9", ec) &&
            fs::exists(lib / "libnccl.so.2", ec))
            return lib;
    }
    return std::nullopt;
}

void make_cuda_wheel_env(const fs::path& env, const std::vector<std::string>& omit)
{
    const auto cuda = cuda_library_dir().value_or("/nonexistent");
    const auto site = env / "lib/python3.12/site-packages/nvidia";
    struct Link {
        const char* stem;
        const char* wheel;
        const char* file;
    };
    const Link links[] = {{"cudart", "cu13", "libcudart.so.13"},  {"cublas", "cu13", "libcublas.so.13"},
                          {"cublasLt", "cu13", "libcublasLt.so.13"}, {"cudnn", "cudnn", "libcudnn.so.9"},
                          {"nccl", "nccl", "libnccl.so.2"}};
    for (const auto& link : links) {
        fs::create_directories(site / link.wheel / "lib");
        if (std::ranges::find(omit, link.stem) == omit.end())
            fs::create_symlink(cuda / link.file, site / link.wheel / "lib" / link.file);
    }
    // cuDNN 9 loads its sub-libraries (libcudnn_graph.so.9, ...) from beside libcudnn.so.9.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(cuda, ec)) {
        const auto name = entry.path().filename().string();
        if (name.starts_with("libcudnn_") && name.ends_with(".so.9") && std::ranges::find(omit, "cudnn") == omit.end())
            fs::create_symlink(entry.path(), site / "cudnn/lib" / name);
    }
}

void add_distribution(const fs::path& env, const std::string& name, const std::string& version)
{
    fs::create_directories(env / "lib/python3.12/site-packages" / (name + "-" + version + ".dist-info"));
}

bool make_venv(const fs::path& path, bool system_site_packages)
{
    sys::ProcessSpec spec;
    spec.argv = {"/usr/bin/python3", "-m", "venv", "--without-pip"};
    if (system_site_packages)
        spec.argv.push_back("--system-site-packages");
    spec.argv.push_back(path.string());
    spec.timeout = std::chrono::seconds(120);
    const auto run = sys::run_process(spec);
    return run && run->success();
}

bool system_python_has_torch()
{
    sys::ProcessSpec spec;
    spec.argv = {"/usr/bin/python3", "-c", "import torch"};
    spec.timeout = std::chrono::seconds(120);
    const auto run = sys::run_process(spec);
    return run && run->success();
}

}  // namespace envpin::test
