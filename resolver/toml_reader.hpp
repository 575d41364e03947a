#pragma once
// Typed reads from a parsed TOML document whose failures name the file, the line and what was
// expected ("envpin.lock line 7: 'torch' must be a string"). Used by the catalog, spec and lock
// parsers; only their .cpp files include this header (toml++ is heavy to compile).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "base/error.hpp"

namespace envpin::toml_read {

struct Reader {
    std::string_view origin; // file name or "built-in catalog", used in every message

    // Parses `text`; syntax errors name the line and column.
    [[nodiscard]] Expected<toml::table> parse(std::string_view text) const;

    // "<origin> line N: <message>" for the node's line (or without a line when unknown).
    [[nodiscard]] std::unexpected<Error> error(const toml::node& node,
                                               std::string_view message) const;
    [[nodiscard]] std::unexpected<Error> error(std::string_view message) const;

    // Optional values: nullopt when absent, an error when present with the wrong type.
    [[nodiscard]] Expected<std::optional<std::string>> string(const toml::table& table,
                                                              std::string_view key) const;
    [[nodiscard]] Expected<std::optional<long long>> integer(const toml::table& table,
                                                             std::string_view key) const;
    [[nodiscard]] Expected<std::optional<double>> number(const toml::table& table,
                                                         std::string_view key) const;
    [[nodiscard]] Expected<std::optional<bool>> boolean(const toml::table& table,
                                                        std::string_view key) const;
    // An array of strings; empty when absent.
    [[nodiscard]] Expected<std::vector<std::string>> strings(const toml::table& table,
                                                             std::string_view key) const;
    // A sub-table; nullptr when absent.
    [[nodiscard]] Expected<const toml::table*> table(const toml::table& table,
                                                     std::string_view key) const;
    // An array of tables ([[key]]); an empty list when absent.
    [[nodiscard]] Expected<std::vector<const toml::table*>> tables(const toml::table& table,
                                                                   std::string_view key) const;

    // Required values: an error naming the key when absent.
    [[nodiscard]] Expected<std::string> required_string(const toml::table& table,
                                                        std::string_view key) const;

    // Fails on the first key of `table` not in `allowed` (catches typos such as "toch").
    [[nodiscard]] Expected<void> only_keys(const toml::table& table, std::string_view where,
                                           std::initializer_list<std::string_view> allowed) const;
};

// The 1-based line of `node` in its document; 0 when unknown.
[[nodiscard]] long line_of(const toml::node& node);

} // namespace envpin::toml_read
