#include "tests/support/python_env.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include "sys/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace fs = std::filesystem;

namespace {

sys::ProcessResult run(std::vector<std::string> argv)
{
    sys::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.timeout = std::chrono::seconds(300);
    spec.set_env = {{"PIP_NO_INPUT", "1"}, {"PIP_DISABLE_PIP_VERSION_CHECK", "1"}, {"PIP_FIND_LINKS", ""}};
    auto result = sys::run_process(spec);
    if (!result) {
        ADD_FAILURE() << "cannot run " << spec.argv[0] << ": " << result.error().describe();
        return {};
    }
    EXPECT_TRUE(result->success()) << spec.argv[0] << " " << spec.argv[1] << ": " << result->describe_status() << "\n"
                                   << result->out << result->err;
    return *result;
}

void write_package(const fs::path& dir, const std::string& name, const std::string& version,
                   const std::vector<std::pair<std::string, std::string>>& modules)
{
    write_text(dir / "pyproject.toml",
               "[build-system]\nrequires = []\nbuild-backend = \"wheel_backend\"\nbackend-path = [\".\"]\n\n"
               "[project]\nname = \"" + name + "\"\nversion = \"" + version + "\"\n");
    fs::copy_file(fs::path(ENVPIN_SOURCE_DIR) / "tests/data/wheel_backend.py", dir / "wheel_backend.py");
    for (const auto& [module, text] : modules)
        write_text(dir / name / module, text);
}

fs::path build_wheelhouse(const fs::path& target)
{
    const fs::path staging = target.string() + ".building." + std::to_string(::getpid());
    fs::remove_all(staging);
    write_package(staging / "src/tinypkg-1.0", "tinypkg", "1.0",
                  {{"__init__.py", "VERSION = '1.0'\n"}, {"core.py", "def answer():\n    return 41\n"}});
    write_package(staging / "src/tinypkg-2.0", "tinypkg", "2.0",
                  {{"__init__.py", "VERSION = '2.0'\n"}, {"fast.py", "def answer():\n    return 42\n"}});
    write_package(staging / "src/otherpkg-0.1", "otherpkg", "0.1", {{"__init__.py", "NAME = 'other'\n"}});
    // One pip run per set of versions that can be resolved together.
    for (const auto& sources : {std::vector<std::string>{"tinypkg-1.0", "otherpkg-0.1"}, std::vector<std::string>{"tinypkg-2.0"}}) {
        std::vector<std::string> argv = {"python3", "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                                         "--no-index", "-q", "-w", (staging / "wheels").string()};
        for (const auto& source : sources)
            argv.push_back((staging / "src" / source).string());
        if (!run(argv).success())
            return target;  // the failure is reported; no half-built wheelhouse is kept
    }
    std::error_code ec;
    fs::rename(staging / "wheels", target, ec);  // another test process may have won the race
    fs::remove_all(staging, ec);
    return target;
}

}  // namespace

const fs::path& wheelhouse()
{
    static const fs::path path = [] {
        const fs::path cache = ENVPIN_TEST_CACHE_DIR;
        fs::create_directories(cache);
        const int lock = ::open((cache / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        ::flock(lock, LOCK_EX);
        const auto target = cache / "wheelhouse-v1";
        if (!fs::exists(target))
            build_wheelhouse(target);
        ::close(lock);
        return target;
    }();
    return path;
}

void make_venv(const fs::path& path)
{
    run({"python3", "-m", "venv", "--without-pip", path.string()});
}

void pip_install(const fs::path& venv, const std::vector<std::string>& requirements)
{
    std::vector<std::string> argv = {"python3", "-m", "pip", "--python", (venv / "bin/python").string(), "install",
                                     "-q", "--no-index", "--find-links", wheelhouse().string()};
    argv.insert(argv.end(), requirements.begin(), requirements.end());
    run(argv);
}

fs::path site_packages(const fs::path& venv)
{
    for (const auto& entry : fs::directory_iterator(venv / "lib")) {
        if (entry.path().filename().string().starts_with("python3."))
            return entry.path() / "site-packages";
    }
    ADD_FAILURE() << "no site-packages in " << venv;
    return venv / "lib";
}

}  // namespace envpin::test
