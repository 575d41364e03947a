// Reading files through mappings: the bytes seen, a file that shrinks under the mapping, and
// SIGBUS that is not envpin's own.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

#include "store/core/digest.hpp"
#include "sys/mapped_read.hpp"
#include "sys/unique_fd.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin {
namespace {

std::string pattern(size_t size)
{
    std::string content(size, '\0');
    for (size_t i = 0; i < size; ++i)
        content[i] = static_cast<char>((i * 2654435761u) >> 24);
    return content;
}

struct Collected {
    std::string bytes;
};

void collect(const char* data, size_t size, void* context) noexcept
{
    static_cast<Collected*>(context)->bytes.append(data, size);
}

TEST(MappedRead, HandsOverExactlyTheRange)
{
    test::TempDir dir;
    const auto content = pattern(3 * 4096 + 17);
    test::write_text(dir / "file", content);
    sys::UniqueFd fd(::open((dir / "file").c_str(), O_RDONLY));
    Collected seen;
    const auto read = sys::read_mapped(fd.get(), 4096, 2 * 4096 + 17, collect, &seen);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(*read, sys::MappedRead::done);
    EXPECT_EQ(seen.bytes, content.substr(4096));
}

// The file is cut to nothing while its mapping is read: the access past the new end raises
// SIGBUS, which comes back as `fault` instead of killing the process.
struct Truncating {
    int fd;
    volatile char last = 0;
};

void truncate_then_touch(const char* data, size_t size, void* context) noexcept
{
    auto* state = static_cast<Truncating*>(context);
    if (::ftruncate(state->fd, 0) != 0)
        return;
    state->last = data[size - 1];
}

TEST(MappedRead, AFileThatShrinksUnderTheMappingIsAFaultNotACrash)
{
    test::TempDir dir;
    test::write_text(dir / "file", pattern(1 << 20));
    sys::UniqueFd fd(::open((dir / "file").c_str(), O_RDWR));
    Truncating state{fd.get()};
    const auto read = sys::read_mapped(fd.get(), 0, 1 << 20, truncate_then_touch, &state);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(*read, sys::MappedRead::fault);
    // The next read on this thread is guarded again.
    test::write_text(dir / "again", "again");
    sys::UniqueFd again(::open((dir / "again").c_str(), O_RDONLY));
    Collected seen;
    EXPECT_EQ(sys::read_mapped(again.get(), 0, 5, collect, &seen).value(), sys::MappedRead::done);
    EXPECT_EQ(seen.bytes, "again");
}

TEST(MappedReadDeathTest, ASigbusThatIsNotAGuardedReadStillKills)
{
    test::TempDir dir;
    test::write_text(dir / "file", "x");
    sys::UniqueFd fd(::open((dir / "file").c_str(), O_RDONLY));
    Collected seen;
    ASSERT_TRUE(sys::read_mapped(fd.get(), 0, 1, collect, &seen));  // installs the handler
    EXPECT_EXIT(::raise(SIGBUS), ::testing::KilledBySignal(SIGBUS), "");
}

TEST(MappedRead, ShrinkingWhileHashedIsAnErrorNamingTheFile)
{
    // sha256_fd maps files of 8 MB and more; this one is announced larger than it is, as if it
    // shrank between fstat and the read.
    test::TempDir dir;
    const auto content = pattern(9 << 20);
    test::write_text(dir / "big", content);
    sys::UniqueFd fd(::open((dir / "big").c_str(), O_RDONLY));
    std::vector<char> buffer(4096);
    store::Sha256 hasher;
    const auto whole = store::sha256_fd(fd.get(), hasher, buffer, "big", static_cast<long long>(content.size()));
    ASSERT_TRUE(whole) << whole.error().message;
    EXPECT_EQ(*whole, store::sha256_of(content));
    const auto past_the_end = store::sha256_fd(fd.get(), hasher, buffer, "big", static_cast<long long>(content.size()) + (8 << 20));
    ASSERT_FALSE(past_the_end);
    EXPECT_NE(past_the_end.error().message.find("big"), std::string::npos) << past_the_end.error().message;
    EXPECT_EQ(hasher.finish(), store::sha256_of(""));  // left ready for the next file
}

}  // namespace
}  // namespace envpin
