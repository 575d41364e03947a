#include "store/core/digest.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <new>

#include "sys/file.hpp"
#include "sys/mapped_read.hpp"

namespace envpin::store {

std::string Digest::hex() const
{
    std::string text;
    append_hex(text);
    return text;
}

void Digest::append_hex(std::string& text) const
{
    static constexpr char digits[] = "0123456789abcdef";
    const size_t at = text.size();
    text.resize(at + 2 * bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) {
        text[at + 2 * i] = digits[bytes[i] >> 4];
        text[at + 2 * i + 1] = digits[bytes[i] & 0xf];
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::optional<Digest> Digest::from_hex(std::string_view text)
{
    if (text.size() != 64)
        return std::nullopt;
    Digest digest;
    for (size_t i = 0; i < digest.bytes.size(); ++i) {
        const int high = hex_value(text[2 * i]);
        const int low = hex_value(text[2 * i + 1]);
        if (high < 0 || low < 0)
            return std::nullopt;
        digest.bytes[i] = static_cast<unsigned char>(high << 4 | low);
    }
    return digest;
}

size_t DigestHash::operator()(const Digest& digest) const noexcept
{
    size_t value = 0;
    std::memcpy(&value, digest.bytes.data(), sizeof value);
    return value;
}

Sha256::Sha256() : context_(EVP_MD_CTX_new())
{
    if (context_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(context_), EVP_sha256(), nullptr) != 1)
        throw std::bad_alloc();  // only when OpenSSL cannot allocate: a broken invariant
}

Sha256::~Sha256()
{
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_));
}

void Sha256::update(const void* data, size_t size)
{
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), data, size);
}

Digest Sha256::finish()
{
    auto* context = static_cast<EVP_MD_CTX*>(context_);
    Digest digest;
    unsigned length = 0;
    EVP_DigestFinal_ex(context, digest.bytes.data(), &length);
    EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
    return digest;
}

Digest sha256_of(std::string_view data)
{
    Sha256 hasher;
    hasher.update(data.data(), data.size());
    return hasher.finish();
}

// SHA256_CTX is deprecated in OpenSSL 3.0 (EVP has no way to start from a chaining state); this
// is the one place that uses it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
Sha256Continued::Sha256Continued(const std::array<uint32_t, 8>& state, uint64_t hashed_bytes) : context_(new SHA256_CTX)
{
    auto* context = static_cast<SHA256_CTX*>(context_);
    SHA256_Init(context);
    for (size_t word = 0; word < state.size(); ++word)
        context->h[word] = state[word];
    const uint64_t bits = hashed_bytes * 8;
    context->Nl = static_cast<SHA_LONG>(bits);
    context->Nh = static_cast<SHA_LONG>(bits >> 32);
}

Sha256Continued::~Sha256Continued()
{
    delete static_cast<SHA256_CTX*>(context_);
}

void Sha256Continued::update(const void* data, size_t size)
{
    SHA256_Update(static_cast<SHA256_CTX*>(context_), data, size);
}

Digest Sha256Continued::finish()
{
    Digest digest;
    SHA256_Final(digest.bytes.data(), static_cast<SHA256_CTX*>(context_));
    return digest;
}
#pragma GCC diagnostic pop

std::array<unsigned char, 20> sha1_of(std::initializer_list<std::string_view> parts)
{
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::array<unsigned char, 20> id{};
    bool done = context != nullptr && EVP_DigestInit_ex(context.get(), EVP_sha1(), nullptr) == 1;
    for (const auto part : parts)
        done = done && EVP_DigestUpdate(context.get(), part.data(), part.size()) == 1;
    if (!done || EVP_DigestFinal_ex(context.get(), id.data(), nullptr) != 1)
        throw std::bad_alloc();  // only when OpenSSL cannot allocate: a broken invariant
    return id;
}

namespace {

// Files this large are hashed through mappings of this many bytes at a time: no copy out of
// the page cache (a tenth of hashing's CPU on large files), and a bounded footprint whatever
// the file's size.
constexpr long long mapped_window = 8LL << 20;

void hash_mapped_bytes(const char* data, size_t size, void* hasher) noexcept
{
    static_cast<Sha256*>(hasher)->update(data, size);
}

// nullopt when the file cannot be mapped at all (it is then read instead).
std::optional<Expected<Digest>> sha256_mapped(int fd, Sha256& hasher, std::string_view what, long long size)
{
    for (long long offset = 0; offset < size; offset += mapped_window) {
        const auto length = static_cast<size_t>(std::min(mapped_window, size - offset));
        const auto read = sys::read_mapped(fd, offset, length, hash_mapped_bytes, &hasher);
        if (!read && offset == 0)
            return std::nullopt;
        if (!read || *read == sys::MappedRead::fault) {
            (void)hasher.finish();  // leave the hasher clean for the next file
            return fail(ErrorCode::io, "cannot read {}: it shrank or became unreadable while it was being read", what);
        }
    }
    return hasher.finish();
}

}  // namespace

Expected<Digest> sha256_fd(int fd, Sha256& hasher, std::span<char> buffer, std::string_view what,
                           long long expected_size)
{
    if (expected_size >= mapped_window) {
        if (auto mapped = sha256_mapped(fd, hasher, what, expected_size))
            return std::move(*mapped);
    }
    long long total = 0;
    while (expected_size < 0 || total < expected_size) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int error = errno;
            (void)hasher.finish();  // leave the hasher clean for the next file
            return fail(ErrorCode::io, "cannot read {}: {}", what, sys::errno_text(error));
        }
        if (n == 0)
            break;
        hasher.update(buffer.data(), static_cast<size_t>(n));
        total += n;
    }
    return hasher.finish();
}

}  // namespace envpin::store
