#pragma once
// Small string helpers used by parsers. Pure functions, no allocation beyond results.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace envpin {

[[nodiscard]] std::string_view trim(std::string_view text);
[[nodiscard]] std::vector<std::string_view> split(std::string_view text, char separator);
// Splits on runs of spaces and tabs, dropping empty fields.
[[nodiscard]] std::vector<std::string_view> split_whitespace(std::string_view text);
[[nodiscard]] std::string to_lower(std::string_view text);
[[nodiscard]] bool all_digits(std::string_view text);
// Parses a non-negative decimal integer that fits in int64; nullopt otherwise.
[[nodiscard]] std::optional<long long> parse_integer(std::string_view text);
[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view separator);
// "7.6 GB", "41.3 MB", "12.1 kB", "512 B" (binary multiples, one decimal).
[[nodiscard]] std::string human_bytes(long long bytes);

}  // namespace envpin
