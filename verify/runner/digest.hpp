#pragma once
// SHA-256 for verify's identities (host fingerprints, training-probe cache keys).
#include <string>
#include <string_view>

namespace envpin::verify {

// 64 lowercase hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace envpin::verify
