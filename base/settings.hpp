#pragma once
// Whole-number settings read from the environment (ENVPIN_COPY_BELOW, ENVPIN_DETACH_THREADS):
// the parsing and its error in one place. Each library names its own settings; the command line
// checks them all before a command runs, so a bad value is refused up front, naming the variable
// and what it expects, and a library reading one later gets a good value or its default.
#include <string_view>

#include "base/error.hpp"

namespace envpin {

struct NumberSetting {
    std::string_view name;      // the environment variable
    long long fallback = 0;     // when it is unset or empty
    long long low = 0;          // the range it accepts, inclusive
    long long high = 0;
    std::string_view unit;      // what the number counts, for the error ("bytes")
};

// The variable's value; an error naming it and its range when it is not a whole number in range.
[[nodiscard]] Expected<long long> read_setting(const NumberSetting& setting);

// The variable's value, or its fallback when it is unset, empty or not a valid value.
[[nodiscard]] long long setting_or_fallback(const NumberSetting& setting);

}  // namespace envpin
