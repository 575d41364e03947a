#include "store/core/file_lanes.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace envpin::store {

FileLanes::FileLanes() : buffers_(new unsigned char[Sha256Lanes::width * capacity])
{
    finished_.reserve(Sha256Lanes::width);
}

size_t FileLanes::add(int fd, long long size)
{
    const auto free = std::ranges::find(lanes_, -1, &Lane::fd);
    const auto lane = static_cast<size_t>(free - lanes_.begin());
    *free = Lane{fd, size, 0, 0, 0, false, 0};
    hasher_.restart(lane);
    ++busy_;
    return lane;
}

void FileLanes::release(size_t lane)
{
    lanes_[lane].fd = -1;
    --busy_;
}

int FileLanes::read_more(Lane& lane, unsigned char* to, size_t room, size_t& got)
{
    const auto want = static_cast<size_t>(std::min<long long>(static_cast<long long>(room), lane.size - lane.read));
    ssize_t n = 0;
    do
        n = ::read(lane.fd, to, want);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return n < 0 ? errno : -1;
    got = static_cast<size_t>(n);
    lane.read += n;
    return 0;
}

int FileLanes::refill(size_t index)
{
    Lane& lane = lanes_[index];
    unsigned char* data = buffer(index);
    const size_t left = lane.end - lane.begin;
    std::memmove(data, data + lane.begin, left);
    lane.begin = 0;
    lane.end = left;
    while (lane.end < piece && lane.read < lane.size) {
        size_t got = 0;
        if (const int error = read_more(lane, data + lane.end, piece - lane.end, got); error != 0)
            return error;
        lane.end += got;
    }
    if (lane.read == lane.size) {
        lane.end += write_sha256_padding(data + lane.end, static_cast<uint64_t>(lane.size));
        lane.padded = true;
    }
    return 0;
}

std::span<const FileLanes::Finished> FileLanes::step()
{
    finished_.clear();
    while (finished_.empty() && busy_ != 0) {
        std::array<const unsigned char*, Sha256Lanes::width> data{};
        uint32_t active = 0;
        size_t blocks = std::numeric_limits<size_t>::max();
        for (size_t i = 0; i < lanes_.size(); ++i) {
            Lane& lane = lanes_[i];
            if (lane.fd < 0)
                continue;
            if (lane.end - lane.begin < Sha256Lanes::block_size && !lane.padded) {
                if (const int error = refill(i); error != 0) {
                    finished_.push_back({i, {}, error});
                    release(i);
                    continue;
                }
            }
            active |= 1u << i;
            data[i] = buffer(i) + lane.begin;
            blocks = std::min(blocks, (lane.end - lane.begin) / Sha256Lanes::block_size);
        }
        if (!finished_.empty() || active == 0)
            break;
        // Every busy lane holds at least one block: a full piece, or its padded last bytes.
        hasher_.compress(data, active, blocks);
        for (size_t i = 0; i < lanes_.size(); ++i) {
            Lane& lane = lanes_[i];
            if ((active >> i & 1) == 0)
                continue;
            lane.begin += blocks * Sha256Lanes::block_size;
            lane.hashed += blocks * Sha256Lanes::block_size;
            if (lane.padded && lane.begin == lane.end) {
                finished_.push_back({i, hasher_.digest(i), 0});
                release(i);
            }
        }
    }
    return finished_;
}

std::span<const FileLanes::Finished> FileLanes::drain()
{
    if (2 * busy_ >= Sha256Lanes::width)
        return step();
    finished_.clear();
    for (size_t i = 0; i < lanes_.size(); ++i) {
        if (lanes_[i].fd >= 0) {
            finished_.push_back(finish_alone(i));
            release(i);
        }
    }
    return finished_;
}

FileLanes::Finished FileLanes::finish_alone(size_t index)
{
    Lane& lane = lanes_[index];
    unsigned char* data = buffer(index);
    const auto size = static_cast<uint64_t>(lane.size);
    if (lane.hashed > size / Sha256Lanes::block_size * Sha256Lanes::block_size) {
        // Into the padding already: its last block is left, fed in the lane on its own.
        std::array<const unsigned char*, Sha256Lanes::width> at{};
        at[index] = data + lane.begin;
        hasher_.compress(at, 1u << index, (lane.end - lane.begin) / Sha256Lanes::block_size);
        return {index, hasher_.digest(index), 0};
    }
    Sha256Continued alone(hasher_.state(index), lane.hashed);
    // What the buffer holds of the message (without the padding, if the file was read to its
    // end), then the rest of the file.
    alone.update(data + lane.begin, lane.padded ? static_cast<size_t>(size - lane.hashed) : lane.end - lane.begin);
    while (lane.read < lane.size) {
        size_t got = 0;
        if (const int error = read_more(lane, data, piece, got); error != 0)
            return {index, {}, error};
        alone.update(data, got);
    }
    return {index, alone.finish(), 0};
}

}  // namespace envpin::store
