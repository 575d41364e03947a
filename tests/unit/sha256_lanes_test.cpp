// Sixteen-lane SHA-256 (AVX-512) and the file lanes built on it, against OpenSSL's digests, on
// real files. Skipped on CPUs without AVX-512, where envpin hashes every file alone.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <span>
#include <string>
#include <vector>

#include "store/core/file_lanes.hpp"
#include "store/lifecycle/observe.hpp"
#include "store/core/sha256_lanes.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::store {
namespace {

// Bytes that differ from message to message and from position to position.
std::string message_bytes(size_t size, unsigned seed)
{
    std::string bytes(size, '\0');
    uint32_t x = 2463534242u ^ seed * 2654435761u;
    for (auto& byte : bytes) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        byte = static_cast<char>(x);
    }
    return bytes;
}

#define SKIP_WITHOUT_AVX512()                                                   \
    if (!Sha256Lanes::supported())                                              \
    GTEST_SKIP() << "this CPU has no AVX-512: envpin hashes every file alone here"

TEST(Sha256Padding, MakesWholeBlocksOfNineToSeventyTwoBytes)
{
    for (uint64_t size = 0; size < 300; ++size) {
        unsigned char tail[Sha256Lanes::max_padding + 8];
        std::memset(tail, 0xAA, sizeof tail);
        const size_t written = write_sha256_padding(tail, size);
        EXPECT_EQ((size + written) % 64, 0u) << size;
        EXPECT_GE(written, 9u) << size;
        EXPECT_LE(written, Sha256Lanes::max_padding) << size;
        EXPECT_EQ(tail[0], 0x80) << size;
        EXPECT_EQ(tail[written - 1], static_cast<unsigned char>(size * 8)) << size;  // low byte of the bit length
        EXPECT_EQ(tail[written], 0xAA) << "wrote past its padding for " << size;
    }
}

TEST(Sha256Lanes, SixteenMessagesOfDifferentLengthsMatchOpenSSL)
{
    SKIP_WITHOUT_AVX512();
    // Lengths around every block boundary and padding case (55, 56, 63, 64 bytes into a block),
    // one lane empty; lanes are fed one block at a time, each only while it has blocks left,
    // so the others are masked off and must stay as they were.
    const std::vector<size_t> lengths{0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 4095, 4096, 4097, 10000};
    std::vector<std::string> messages;
    std::vector<std::vector<unsigned char>> padded;
    for (size_t lane = 0; lane < Sha256Lanes::width; ++lane) {
        messages.push_back(message_bytes(lengths[lane], static_cast<unsigned>(lane)));
        std::vector<unsigned char> bytes(messages.back().begin(), messages.back().end());
        bytes.resize(bytes.size() + Sha256Lanes::max_padding);
        bytes.resize(lengths[lane] + write_sha256_padding(bytes.data() + lengths[lane], lengths[lane]));
        padded.push_back(std::move(bytes));
    }
    Sha256Lanes lanes;
    for (size_t block = 0;; ++block) {
        std::array<const unsigned char*, Sha256Lanes::width> data{};
        uint32_t active = 0;
        for (size_t lane = 0; lane < Sha256Lanes::width; ++lane) {
            if (64 * block < padded[lane].size()) {
                active |= 1u << lane;
                data[lane] = padded[lane].data() + 64 * block;
            }
        }
        if (active == 0)
            break;
        lanes.compress(data, active, 1);
    }
    for (size_t lane = 0; lane < Sha256Lanes::width; ++lane)
        EXPECT_EQ(lanes.digest(lane).hex(), sha256_of(messages[lane]).hex()) << "lane " << lane << ", " << lengths[lane] << " bytes";
}

class FileLanesTest : public ::testing::Test {
protected:
    int open_file(const std::string& name, const std::string& content)
    {
        test::write_text(dir_ / name, content);
        const int fd = ::open((dir_ / name).c_str(), O_RDONLY);
        EXPECT_GE(fd, 0);
        fds_.push_back(fd);
        return fd;
    }
    ~FileLanesTest() override
    {
        for (const int fd : fds_)
            ::close(fd);
    }
    test::TempDir dir_;
    std::vector<int> fds_;
};

TEST_F(FileLanesTest, FilesOfManySizesComeOutAsOpenSSLHashesThem)
{
    SKIP_WITHOUT_AVX512();
    // More files than lanes, so lanes are reused; sizes across the 64 KB read pieces.
    const std::vector<size_t> sizes{0, 1, 55, 56, 64, 65, 120, 4096, 65535, 65536, 65537, 65536 * 3 + 5, 300000,
                                    (1 << 20) + 3, 2, 100, 63, 200000, 7, 131072, 9999, 1234567, 0, 42, 512};
    std::vector<std::string> contents;
    for (size_t i = 0; i < sizes.size(); ++i)
        contents.push_back(message_bytes(sizes[i], static_cast<unsigned>(100 + i)));
    std::map<size_t, size_t> file_in_lane;
    std::map<size_t, std::string> digests;  // by file
    FileLanes lanes;
    size_t next = 0;
    while (next < contents.size() || !lanes.idle()) {
        while (next < contents.size() && !lanes.full()) {
            const int fd = open_file("f" + std::to_string(next), contents[next]);
            file_in_lane[lanes.add(fd, static_cast<long long>(contents[next].size()))] = next;
            ++next;
        }
        for (const auto& done : lanes.step()) {
            ASSERT_EQ(done.error, 0);
            digests[file_in_lane.at(done.lane)] = done.digest.hex();
            file_in_lane.erase(done.lane);
        }
    }
    ASSERT_EQ(digests.size(), contents.size());
    for (size_t i = 0; i < contents.size(); ++i)
        EXPECT_EQ(digests.at(i), sha256_of(contents[i]).hex()) << contents[i].size() << " bytes";
}

TEST_F(FileLanesTest, AFileEndingBeforeItsSizeIsReportedAndTheOthersFinish)
{
    SKIP_WITHOUT_AVX512();
    const std::string whole = message_bytes(100000, 7);
    const std::string short_one = message_bytes(1000, 8);
    FileLanes lanes;
    const size_t good = lanes.add(open_file("good", whole), static_cast<long long>(whole.size()));
    const size_t shrunk = lanes.add(open_file("shrunk", short_one), 5000);  // as if it shrank after fstat
    std::map<size_t, FileLanes::Finished> finished;
    while (!lanes.idle()) {
        for (const auto& done : lanes.step())
            finished[done.lane] = done;
    }
    EXPECT_EQ(finished.at(shrunk).error, -1);
    EXPECT_EQ(finished.at(good).error, 0);
    EXPECT_EQ(finished.at(good).digest, sha256_of(whole));
}

TEST_F(FileLanesTest, DrainingFinishesFilesAloneFromWhereTheirLanesLeftThem)
{
    SKIP_WITHOUT_AVX512();
    // After one step (one block each: the 10-byte file sets the pace), the others are left
    // one block in: inside the padding (60 bytes: two blocks in all), read to the end but not
    // padded yet (1,000 bytes), and with most of the file still unread (300,000 bytes).
    const std::vector<size_t> sizes{60, 10, 300000, 1000, 200000};
    std::vector<std::string> contents;
    std::map<size_t, size_t> file_in_lane;
    FileLanes lanes;
    for (size_t i = 0; i < sizes.size(); ++i) {
        contents.push_back(message_bytes(sizes[i], static_cast<unsigned>(300 + i)));
        file_in_lane[lanes.add(open_file("f" + std::to_string(i), contents[i]), static_cast<long long>(sizes[i]))] = i;
    }
    std::map<size_t, std::string> digests;
    const auto take = [&](std::span<const FileLanes::Finished> finished) {
        for (const auto& done : finished) {
            ASSERT_EQ(done.error, 0);
            digests[file_in_lane.at(done.lane)] = done.digest.hex();
        }
    };
    take(lanes.step());
    ASSERT_EQ(digests.size(), 1u);
    EXPECT_TRUE(digests.contains(1));
    take(lanes.drain());  // four of sixteen lanes busy: each finished alone
    EXPECT_TRUE(lanes.idle());
    ASSERT_EQ(digests.size(), contents.size());
    for (size_t i = 0; i < contents.size(); ++i)
        EXPECT_EQ(digests.at(i), sha256_of(contents[i]).hex()) << sizes[i] << " bytes";
}

TEST(Sha256Continued, GoesOnFromALanesStateAsIfTheWholeMessageWereHashedAtOnce)
{
    SKIP_WITHOUT_AVX512();
    const std::string message = message_bytes(64 * 5 + 17, 11);
    Sha256Lanes lanes;
    std::array<const unsigned char*, Sha256Lanes::width> data{};
    data[3] = reinterpret_cast<const unsigned char*>(message.data());
    lanes.compress(data, 1u << 3, 2);
    Sha256Continued rest(lanes.state(3), 128);
    rest.update(message.data() + 128, message.size() - 128);
    EXPECT_EQ(rest.finish(), sha256_of(message));
}

TEST(ObserveLanes, SmallAndLargeFilesGetTheSameDigestsWithAndWithoutLanes)
{
    SKIP_WITHOUT_AVX512();
    test::TempDir dir;
    std::map<std::string, std::string> files;
    for (size_t i = 0; i < 70; ++i)
        files["lib/m" + std::to_string(i) + ".py"] = message_bytes(i * 977 % 70000, static_cast<unsigned>(i));
    files["lib/big.so"] = message_bytes((9 << 20) + 11, 99);  // over the lane limit: hashed alone
    files["lib/empty"] = "";
    for (const auto& [path, content] : files)
        test::write_text(dir / "env" / path, content);
    const int root_fd = ::open((dir / "env").c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(root_fd, 0);
    std::map<bool, std::map<std::string, std::string>> seen;
    for (const bool lanes : {true, false}) {
        StatCache cache;
        ObserveOptions options;
        options.threads = 3;
        options.lanes = lanes;
        const auto observed = observe(root_fd, dir / "env", [] { return Expected<StatCache>(StatCache()); }, cache, options);
        ASSERT_TRUE(observed) << observed.error().describe();
        EXPECT_EQ(observed->hashed_files, static_cast<long long>(files.size()));
        for (const auto& entry : observed->manifest.entries) {
            if (entry.kind == EntryKind::file)
                seen[lanes][entry.path] = entry.digest.hex();
        }
    }
    ::close(root_fd);
    ASSERT_EQ(seen[true].size(), files.size());
    for (const auto& [path, content] : files)
        EXPECT_EQ(seen[true].at(path), sha256_of(content).hex()) << path;
    EXPECT_EQ(seen[true], seen[false]);
}

}  // namespace
}  // namespace envpin::store
