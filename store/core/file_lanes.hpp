#pragma once
// Hashing up to sixteen open files at once through Sha256Lanes (check Sha256Lanes::supported()
// first). Each lane reads its file in 64 KB pieces; every step feeds all busy lanes the blocks
// each of them holds, so files of different sizes finish at different steps and free their
// lane for the next file. Memory is the lanes' buffers (about 1 MB), whatever the files' sizes.
#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "store/core/sha256_lanes.hpp"

namespace envpin::store {

class FileLanes {
public:
    static constexpr size_t piece = 64 << 10;  // read at a time per lane

    struct Finished {
        size_t lane = 0;
        Digest digest;  // when error is 0
        int error = 0;  // errno of a failed read, or -1: the file ended before its size
    };

    FileLanes();
    [[nodiscard]] bool full() const { return busy_ == Sha256Lanes::width; }
    [[nodiscard]] bool idle() const { return busy_ == 0; }

    // Puts the first `size` bytes of `fd`, read from its current offset, in a free lane (one
    // must be free) and returns the lane. The caller keeps `fd` open until the lane finishes.
    size_t add(int fd, long long size);

    // Hashes until at least one lane's file is done and returns those lanes, now free again
    // (the span is valid until the next call). A lane whose read failed comes back at once
    // with its error. Call only when not idle().
    [[nodiscard]] std::span<const Finished> step();

    // step() for when no file will be added any more: once fewer than half the lanes are busy,
    // their files are finished one at a time (Sha256Continued, from each lane's state), since
    // a lane's share of a half-empty step is slower than one message alone. A lane's larger
    // files fall behind while its small ones come and go (a step feeds only the blocks every
    // busy lane holds), so without this the last megabytes of a run went at a sixteenth of
    // the speed.
    [[nodiscard]] std::span<const Finished> drain();

private:
    struct Lane {
        int fd = -1;
        long long size = 0;
        long long read = 0;  // bytes of the file read so far
        size_t begin = 0;    // next byte to hash in the lane's buffer
        size_t end = 0;      // end of the bytes read (and padding, once the file is read)
        bool padded = false;
        uint64_t hashed = 0;  // bytes fed to the lane's message so far (whole blocks)
    };
    static constexpr size_t capacity = piece + 128;  // a piece, what was left of the last one, padding

    [[nodiscard]] unsigned char* buffer(size_t lane) const { return buffers_.get() + lane * capacity; }
    // Reads the lane's next bytes to `to`: at most `room`, never past its size, at least one
    // (`got`). Returns 0 or the Finished::error code.
    [[nodiscard]] static int read_more(Lane& lane, unsigned char* to, size_t room, size_t& got);
    // Reads the lane's next piece after the bytes it still holds (under a block); pads the
    // message once the file is read. Returns 0 or the Finished::error code.
    int refill(size_t lane);
    void release(size_t lane);
    // The lane's file to its end without the other lanes; returns its Finished.
    [[nodiscard]] Finished finish_alone(size_t lane);

    Sha256Lanes hasher_;
    std::unique_ptr<unsigned char[]> buffers_;
    std::array<Lane, Sha256Lanes::width> lanes_{};
    size_t busy_ = 0;
    std::vector<Finished> finished_;
};

}  // namespace envpin::store
