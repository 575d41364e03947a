#include "verify/runner/digest.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

namespace envpin::verify {

std::string sha256_hex(std::string_view data)
{
    // The one-shot EVP_Digest owns no handle beyond the call.
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    hex.reserve(size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i)
        hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

}  // namespace envpin::verify
