#include "base/settings.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>

namespace envpin {

Expected<long long> read_setting(const NumberSetting& setting)
{
    const std::string name(setting.name);
    const char* text = std::getenv(name.c_str());
    if (text == nullptr || *text == '\0')
        return setting.fallback;
    errno = 0;
    char* end = nullptr;
    const long long value = std::strtoll(text, &end, 10);
    const bool digits_first = *text >= '0' && *text <= '9';  // no sign, no space
    if (!digits_first || errno != 0 || *end != '\0' || value < setting.low || value > setting.high)
        return fail(ErrorCode::bad_input, "{} is '{}': expected a whole number of {} from {} to {} (unset: {})", name,
                    text, setting.unit, setting.low, setting.high, setting.fallback);
    return value;
}

long long setting_or_fallback(const NumberSetting& setting)
{
    const auto value = read_setting(setting);
    return value ? *value : setting.fallback;
}

}  // namespace envpin
