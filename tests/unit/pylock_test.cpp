// PEP 751 pylock.toml and requirements exports of a lock, on values.
#include <gtest/gtest.h>

#include "resolver/pylock.hpp"

namespace envpin {
namespace {

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

Lock installed_lock()
{
    Lock lock;
    lock.stack = {.torch = "2.7.1+cu128", .variant = "cu128", .cuda = "12.8", .python = "3.12",
                  .index_url = "https://download.pytorch.org/whl/cu128"};
    lock.installed = {
        {"torch", "2.7.1+cu128",
         "https://download.pytorch.org/whl/cu128/torch-2.7.1%2Bcu128-cp312-cp312-manylinux_2_28_x86_64.whl",
         std::string(64, 'a')},
        {"tinyops", "1.0.0", "file:///w/wheels/tinyops-1.0.0-py3-none-any.whl", std::string(64, 'b')}};
    return lock;
}

TEST(Pylock, ALockExportsAsPep751AndReadsBack)
{
    const auto pylock = pylock_from_lock(installed_lock(), "envpin.lock").value();
    ASSERT_EQ(pylock.packages.size(), 2u);
    EXPECT_EQ(pylock.packages[0].wheels[0].name, "torch-2.7.1+cu128-cp312-cp312-manylinux_2_28_x86_64.whl");
    EXPECT_EQ(pylock.requires_python, "==3.12.*");
    const auto text = print_pylock(pylock);
    EXPECT_TRUE(text.starts_with("lock-version = \"1.0\"\n")) << text;
    EXPECT_TRUE(has(text, "[[packages.wheels]]")) << text;
    EXPECT_TRUE(has(text, "[packages.wheels.hashes]\nsha256 = \"" + std::string(64, 'a') + "\"")) << text;
    const auto parsed = parse_pylock(text, "pylock.toml");
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(*parsed, pylock);
    EXPECT_EQ(print_pylock(*parsed), text);
}

TEST(Pylock, RequirementsNameEachWheelWithItsHash)
{
    const auto text = requirements_from_lock(installed_lock(), "envpin.lock").value();
    EXPECT_TRUE(has(text, "torch @ https://download.pytorch.org/whl/cu128/torch-2.7.1%2Bcu128-cp312-cp312-manylinux_2_28_x86_64.whl \\\n"
                          "    --hash=sha256:" + std::string(64, 'a') + "\n"))
        << text;
    EXPECT_TRUE(has(text, "tinyops @ file:///w/wheels/tinyops-1.0.0-py3-none-any.whl")) << text;
}

TEST(Pylock, ALockWithoutWheelUrlsOrHashesIsNotExported)
{
    auto lock = installed_lock();
    lock.installed[1].source = "https://pypi.org/simple";  // an index, as older locks recorded
    const auto no_url = pylock_from_lock(lock, "envpin.lock");
    ASSERT_FALSE(no_url);
    EXPECT_TRUE(has(no_url.error().describe(), "installed tinyops has no wheel URL")) << no_url.error().describe();
    lock = installed_lock();
    lock.installed[0].sha256.clear();
    EXPECT_FALSE(requirements_from_lock(lock, "envpin.lock"));
    EXPECT_FALSE(requirements_from_lock(Lock{}, "envpin.lock"));
}

TEST(Pylock, SourcesEnvpinDoesNotInstallAreRefusedWithTheLine)
{
    const auto sdist = parse_pylock("lock-version = \"1.0\"\n\n[[packages]]\nname = \"x\"\nversion = \"1\"\n"
                                    "sdist = { url = \"https://x/x-1.tar.gz\" }\n",
                                    "pylock.toml");
    ASSERT_FALSE(sdist);
    EXPECT_TRUE(has(sdist.error().describe(), "pylock.toml line 3")) << sdist.error().describe();
    EXPECT_FALSE(parse_pylock("lock-version = \"2.0\"\n", "pylock.toml"));
    EXPECT_FALSE(parse_pylock("lock-version = \"1.0\"\n[[packages]]\nname = \"x\"\n"
                              "wheels = [{ url = \"https://x/x.whl\", path = \"x.whl\", hashes = { sha256 = \"" +
                                  std::string(64, 'a') + "\" } }]\n",
                              "pylock.toml"));
}

}  // namespace
}  // namespace envpin
