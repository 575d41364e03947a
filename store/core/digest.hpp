#pragma once
// SHA-256 digests: the key of every object in the store. OpenSSL's EVP interface is used in
// digest.cpp only.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace envpin::store {

struct Digest {
    std::array<unsigned char, 32> bytes{};

    // 64 lowercase hex characters.
    [[nodiscard]] std::string hex() const;
    // Appends the 64 hex characters to `text` (no temporary: manifests print one per file).
    void append_hex(std::string& text) const;
    // nullopt unless `text` is exactly 64 hex characters (either case).
    [[nodiscard]] static std::optional<Digest> from_hex(std::string_view text);
    auto operator<=>(const Digest&) const = default;
};

// For unordered containers keyed by digest (the bytes are already uniformly distributed).
struct DigestHash {
    size_t operator()(const Digest& digest) const noexcept;
};

// Incremental SHA-256. One per thread; finish() leaves it ready for the next input.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, size_t size);
    [[nodiscard]] Digest finish();

private:
    void* context_;  // EVP_MD_CTX*, owned
};

[[nodiscard]] Digest sha256_of(std::string_view data);

// A SHA-256 computation continued from its chaining state (the eight words a..h) after
// `hashed_bytes` bytes, a multiple of 64: how a file started in a hashing lane is finished on
// its own (FileLanes::drain). OpenSSL's low-level SHA256_CTX, the one interface that takes a
// state, one message at a time (SHA-NI where the CPU has it).
class Sha256Continued {
public:
    Sha256Continued(const std::array<uint32_t, 8>& state, uint64_t hashed_bytes);
    ~Sha256Continued();
    Sha256Continued(const Sha256Continued&) = delete;
    Sha256Continued& operator=(const Sha256Continued&) = delete;

    void update(const void* data, size_t size);
    [[nodiscard]] Digest finish();

private:
    void* context_;  // SHA256_CTX*, owned
};

// SHA-1 over `parts` in order: the ids of the git objects envpin writes itself (manifests.git).
// OpenSSL's is several times faster than libgit2's collision-detecting SHA-1 on a manifest of
// megabytes; detection guards against crafted inputs, and these objects are envpin's own.
[[nodiscard]] std::array<unsigned char, 20> sha1_of(std::initializer_list<std::string_view> parts);

// Hashes `fd` from its current offset to end of file, reading through `buffer` so memory stays
// bounded whatever the file size. Fails with io naming `what` on a read error. With
// `expected_size` (the size fstat gave a descriptor still at offset 0), hashing stops there,
// saving the read that would only see end of file, and a file of 8 MB or more is read through
// 8 MB mappings instead of `buffer` (one copy less; a file that shrinks meanwhile is an io
// error). Callers compare fstat before and after to catch a file that changed.
[[nodiscard]] Expected<Digest> sha256_fd(int fd, Sha256& hasher, std::span<char> buffer,
                                         std::string_view what, long long expected_size = -1);

}  // namespace envpin::store
