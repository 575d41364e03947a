// SHA-256 through OpenSSL, streaming.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

#include "store/core/digest.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::store {
namespace {

TEST(Digest, KnownVectors)
{
    EXPECT_EQ(sha256_of("").hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_of("abc").hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, HexRoundTripsAndRefusesJunk)
{
    const auto digest = sha256_of("envpin");
    EXPECT_EQ(Digest::from_hex(digest.hex()), digest);
    EXPECT_EQ(Digest::from_hex(std::string(64, 'A'))->hex(), std::string(64, 'a'));
    EXPECT_FALSE(Digest::from_hex("abc"));
    EXPECT_FALSE(Digest::from_hex(std::string(64, 'g')));
}

TEST(Digest, StreamingAFileLargerThanTheBufferMatchesTheWhole)
{
    test::TempDir dir;
    std::string content;
    for (int i = 0; i < 100000; ++i)
        content += std::to_string(i);
    test::write_text(dir / "big", content);
    const int fd = ::open((dir / "big").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    std::vector<char> buffer(4096);  // many chunks
    Sha256 hasher;
    const auto digest = sha256_fd(fd, hasher, buffer, "big");
    ::close(fd);
    ASSERT_TRUE(digest);
    EXPECT_EQ(*digest, sha256_of(content));
    EXPECT_EQ(hasher.finish(), sha256_of(""));  // left ready for the next file
}

}  // namespace
}  // namespace envpin::store
