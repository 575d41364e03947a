#pragma once
// Sixteen SHA-256 messages hashed side by side, one per 32-bit lane of AVX-512 registers.
// OpenSSL hashes one message at a time (with SHA-NI where the CPU has it), which is what a
// large file needs: its one stream sets the pace. Many small files are throughput instead, and
// sixteen lanes did 1.6-2x OpenSSL's bytes per core on the H200 machines' Xeon and on the
// development VM's EPYC. Compiled for AVX-512 function by function; callers check supported().
#include <array>
#include <cstddef>
#include <cstdint>

#include "store/core/digest.hpp"

namespace envpin::store {

class Sha256Lanes {
public:
    static constexpr size_t width = 16;
    static constexpr size_t block_size = 64;
    // SHA-256's padding takes 9 to 72 bytes after a message's last byte.
    static constexpr size_t max_padding = 72;

    // True when this CPU and kernel run AVX-512 (F and BW); nothing else here may be called
    // otherwise.
    [[nodiscard]] static bool supported();

    Sha256Lanes();
    // Starts a new message in `lane`.
    void restart(size_t lane);
    // Feeds `blocks` 64-byte blocks to every lane whose bit is set in `active`, lane i reading
    // data[i] onwards; the other lanes are neither read nor changed.
    void compress(const std::array<const unsigned char*, width>& data, uint32_t active, size_t blocks);
    // The digest of `lane`'s message, once its padded last block has been fed.
    [[nodiscard]] Digest digest(size_t lane) const;
    // `lane`'s chaining state (words a..h), to go on without the lanes (Sha256Continued).
    [[nodiscard]] std::array<uint32_t, 8> state(size_t lane) const;

private:
    alignas(64) uint32_t state_[8][width];  // word j of lane i: state_[j][i]
};

// Writes SHA-256's padding for a message of `message_size` bytes at `end`, right after the
// message's last byte; room for max_padding bytes is needed there. Returns the bytes written,
// which make the message a whole number of blocks.
size_t write_sha256_padding(unsigned char* end, uint64_t message_size);

}  // namespace envpin::store
