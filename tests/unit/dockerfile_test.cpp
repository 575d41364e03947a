// `envpin export dockerfile` as text: the base image the catalog names for the stack's CUDA, the
// lock's wheels with their hashes, the health check; bad names refused.
#include <gtest/gtest.h>

#include "resolver/catalog.hpp"
#include "resolver/dockerfile.hpp"
#include "resolver/pylock.hpp"

namespace envpin {
namespace {

const char* catalog_text = R"(format = 1
[[cuda_major]]
major = 12
compat_floor = "525.60.13"
[[cuda]]
version = "12.8"
driver = "570.26"
base_image = "nvidia/cuda:12.8.1-base-ubuntu24.04"
[[cuda]]
version = "12.9"
driver = "575.51.03"
)";

Lock section(std::string variant, std::optional<std::string> cuda)
{
    Lock lock;
    lock.stack.torch = "2.7.1+" + variant;
    lock.stack.variant = variant;
    lock.stack.cuda = std::move(cuda);
    lock.stack.python = "3.12";
    lock.installed = {{"torch", "2.7.1+" + variant, "https://files.example/torch-2.7.1-cp312-cp312-linux_x86_64.whl",
                       std::string(64, 'b')}};
    return lock;
}

Catalog catalog()
{
    return parse_catalog(catalog_text, "catalog.toml").value();
}

TEST(Dockerfile, BuildsOnTheCatalogsBaseImageAndInstallsTheLockedWheels)
{
    auto lock = section("cu128", "12.8");
    lock.target = Target{"train-h100", ">=570", {"sm_90"}, "", ""};
    const auto text = dockerfile_from_lock(catalog(), lock, {}, "envpin.lock").value();
    EXPECT_NE(text.find("\nFROM nvidia/cuda:12.8.1-base-ubuntu24.04\n"), std::string::npos) << text;
    EXPECT_NE(text.find("from envpin.lock (target train-h100): torch 2.7.1+cu128, Python 3.12"), std::string::npos);
    // The requirements between the heredoc markers are exactly `export requirements`' lines.
    const auto begin = text.find("/opt/envpin/requirements.txt\n") + std::string("/opt/envpin/requirements.txt\n").size();
    const auto end = text.find("ENVPIN_REQUIREMENTS\n", begin);
    ASSERT_NE(end, std::string::npos);
    EXPECT_EQ(text.substr(begin, end - begin), requirements_from_lock(lock, "envpin.lock").value());
    EXPECT_NE(text.find("uv venv --python 3.12 /opt/venv"), std::string::npos);
    EXPECT_NE(text.find("--require-hashes --no-deps"), std::string::npos);
    EXPECT_NE(text.find("envpin adopt /opt/venv --name app"), std::string::npos);
    EXPECT_NE(text.find(R"(CMD ["envpin", "verify", "app", "--only", "host,libs,kernels"])"), std::string::npos);
}

TEST(Dockerfile, ACpuStackBuildsOnUbuntuAndAnUnknownReleaseNeedsBase)
{
    const auto cpu = dockerfile_from_lock(catalog(), section("cpu", std::nullopt), {}, "envpin.lock").value();
    EXPECT_NE(cpu.find("\nFROM ubuntu:24.04\n"), std::string::npos);
    const auto unnamed = dockerfile_from_lock(catalog(), section("cu129", "12.9"), {}, "envpin.lock");
    ASSERT_FALSE(unnamed);
    EXPECT_EQ(unnamed.error().code, ErrorCode::bad_input);
    EXPECT_NE(unnamed.error().message.find("no CUDA 12.9 base image"), std::string::npos);
    EXPECT_NE(unnamed.error().message.find("--base IMAGE"), std::string::npos);
    const auto given = dockerfile_from_lock(catalog(), section("cu129", "12.9"),
                                            {"registry.example/cuda:12.9-base@sha256:abc", "train"}, "envpin.lock");
    ASSERT_TRUE(given) << given.error().message;
    EXPECT_NE(given->find("\nFROM registry.example/cuda:12.9-base@sha256:abc\n"), std::string::npos);
    EXPECT_NE(given->find("--name train"), std::string::npos);
}

TEST(Dockerfile, BadNamesAndLocksWithoutHashesAreRefused)
{
    const auto lock = section("cu128", "12.8");
    EXPECT_FALSE(dockerfile_from_lock(catalog(), lock, {"ubuntu:24.04\nRUN curl evil", "app"}, "envpin.lock"));
    EXPECT_FALSE(dockerfile_from_lock(catalog(), lock, {"", "app $(id)"}, "envpin.lock"));
    auto unhashed = lock;
    unhashed.installed.clear();
    const auto refused = dockerfile_from_lock(catalog(), unhashed, {}, "envpin.lock");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::bad_input);
}

TEST(Dockerfile, TheCatalogRefusesABaseImageOfAnotherRelease)
{
    std::string text = catalog_text;
    text.replace(text.find("12.8.1-base"), 4, "12.9");
    const auto parsed = parse_catalog(text, "catalog.toml");
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find("base_image must be an nvidia/cuda:12.8.N"), std::string::npos)
        << parsed.error().message;
}

}  // namespace
}  // namespace envpin
