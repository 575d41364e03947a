// The installed envpin: `cmake --install` into a temporary prefix puts a stripped binary that
// runs from there, completion scripts bash loads, a man page that renders and the docs; `cpack`
// builds a Debian package whose control file declares the libraries envpin loads.
#include <gtest/gtest.h>

#include "sys/process.hpp"
#include "tests/support/run_envpin.hpp"
#include "tests/support/sanitizer.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

fs::path build_dir()
{
    return fs::path(ENVPIN_BIN).parent_path();
}

sys::ProcessResult run(std::vector<std::string> argv, std::vector<std::pair<std::string, std::string>> environment = {})
{
    sys::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.set_env = std::move(environment);
    spec.timeout = std::chrono::seconds(300);
    auto result = sys::run_process(spec);
    EXPECT_TRUE(result) << spec.argv.front() << ": " << (result ? "" : result.error().describe());
    return result ? *result : sys::ProcessResult{};
}

class InstallTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        prefix_dir = std::make_unique<TempDir>();
        const auto installed = run({"cmake", "--install", build_dir().string(), "--prefix", prefix().string()});
        ASSERT_TRUE(installed.success()) << installed.out << installed.err;
    }
    static void TearDownTestSuite() { prefix_dir.reset(); }
    static fs::path prefix() { return prefix_dir->path() / "usr"; }

    static std::unique_ptr<TempDir> prefix_dir;
};
std::unique_ptr<TempDir> InstallTest::prefix_dir;

TEST_F(InstallTest, TheInstalledBinaryIsStrippedAndRunsFromThePrefix)
{
    const auto binary = prefix() / "bin/envpin";
    ASSERT_TRUE(fs::exists(binary));
    EXPECT_LT(fs::file_size(binary), fs::file_size(ENVPIN_BIN));
    const auto sections = run({"readelf", "-S", binary.string()});
    EXPECT_FALSE(has(sections.out, ".debug_info")) << "not stripped";
    const auto version = run({binary.string(), "--version"});
    ASSERT_TRUE(version.success()) << version.err;
    EXPECT_TRUE(version.out.starts_with("envpin ")) << version.out;
    EXPECT_TRUE(has(version.out, "(catalog ")) << version.out;
    EXPECT_TRUE(has(version.out, "verify suite ")) << version.out;
    const auto host = run({binary.string(), "host", "--json"}, {{"ENVPIN_DRIVER_VERSION", "none"}});
    EXPECT_TRUE(host.success()) << host.err;
    EXPECT_TRUE(fs::exists(prefix() / "share/doc/envpin/CLI.md"));
}

TEST_F(InstallTest, BashLoadsTheCompletionAndItOffersCommandsAndOptions)
{
    const auto script = prefix() / "share/bash-completion/completions/envpin";
    ASSERT_TRUE(fs::exists(script));
    const auto loaded = run({"bash", "-c", "source \"$1\" && complete -p envpin", "bash", script.string()});
    ASSERT_TRUE(loaded.success()) << loaded.err;
    EXPECT_TRUE(has(loaded.out, "-F _envpin envpin")) << loaded.out;
    const auto offered = [&](const std::string& line) {
        const std::string complete = "source \"$1\"; COMP_WORDS=($2); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _envpin; "
                                     "printf '%s\\n' \"${COMPREPLY[@]}\"";
        const auto words = run({"bash", "-c", complete, "bash", script.string(), line});
        return words.out;
    };
    EXPECT_TRUE(has(offered("envpin re"), "resolve\n")) << offered("envpin re");
    EXPECT_TRUE(has(offered("envpin re"), "reset\n"));
    EXPECT_TRUE(has(offered("envpin gate --t"), "--target\n")) << offered("envpin gate --t");
    EXPECT_TRUE(has(offered("envpin export d"), "dockerfile\n")) << offered("envpin export d");
    EXPECT_FALSE(has(offered("envpin p"), "probe"));  // internal: not offered
    EXPECT_TRUE(fs::exists(prefix() / "share/zsh/site-functions/_envpin"));
    EXPECT_TRUE(fs::exists(prefix() / "share/fish/vendor_completions.d/envpin.fish"));
    if (sys::find_on_path("zsh")) {
        const auto zsh = run({"zsh", "-n", (prefix() / "share/zsh/site-functions/_envpin").string()});
        EXPECT_TRUE(zsh.success()) << zsh.err;
    }
}

TEST_F(InstallTest, TheManPageRenders)
{
    const auto page = prefix() / "share/man/man1/envpin.1";
    ASSERT_TRUE(fs::exists(page)) << "no man page: is help2man installed (scripts/setup.sh installs it)?";
    const auto rendered = run({"man", "-l", page.string()}, {{"MANPAGER", "cat"}, {"MANWIDTH", "100"}});
    ASSERT_TRUE(rendered.success()) << rendered.err;
    for (const auto* needle : {"envpin", "EXIT STATUS", "ENVPIN_HOME", "gate", "reset"})
        EXPECT_TRUE(has(rendered.out, needle)) << needle << "\n" << rendered.out;
}

TEST(Package, TheDebianPackageDeclaresItsLibraries)
{
    ENVPIN_SKIP_UNDER_ASAN("packaging a sanitized binary takes minutes and proves nothing the release tier does not");
    TempDir dir;
    const auto built = run({"cpack", "-G", "DEB", "-B", dir.path().string(), "--config",
                            (build_dir() / "CPackConfig.cmake").string()});
    ASSERT_TRUE(built.success()) << built.out << built.err;
    fs::path deb;
    for (const auto& entry : fs::directory_iterator(dir.path()))
        if (entry.path().extension() == ".deb")
            deb = entry.path();
    ASSERT_FALSE(deb.empty()) << built.out;
    const auto info = run({"dpkg-deb", "--info", deb.string()});
    ASSERT_TRUE(info.success()) << info.err;
    EXPECT_TRUE(has(info.out, "Package: envpin")) << info.out;
    for (const auto* library : {"libgit2", "libsqlite3", "libc6"})
        EXPECT_TRUE(has(info.out, library)) << library << "\n" << info.out;
    const auto contents = run({"dpkg-deb", "--contents", deb.string()});
    for (const auto* file : {"./usr/bin/envpin", "./usr/share/man/man1/envpin.1",
                             "./usr/share/bash-completion/completions/envpin"})
        EXPECT_TRUE(has(contents.out, file)) << file << "\n" << contents.out;
}

}  // namespace
}  // namespace envpin::test
