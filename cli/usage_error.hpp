#pragma once
// A command line CLI11 could not parse, said as every other bad input is: which word was wrong,
// the command or option it most likely meant ("did you mean 'resolve'?"), and where the usage is.
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace envpin::cli {

// The closest of `names` to `word` (edit distance at most 2, or `word` a prefix of exactly one);
// empty when none is close.
[[nodiscard]] std::string nearest_name(std::string_view word, const std::vector<std::string>& names);

// The message for CLI11's `error` on `arguments` (argv without the program name), after `app`
// has parsed as far as it could.
[[nodiscard]] std::string usage_message(const CLI::App& app, const CLI::ParseError& error,
                                        const std::vector<std::string>& arguments);

}  // namespace envpin::cli
