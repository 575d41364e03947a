#include "cli/help_format.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace envpin::cli {
namespace {

// Names for values that are files, directories, URLs or durations; others are the option's
// name in capitals.
const std::map<std::string, std::string, std::less<>>& value_names()
{
    static const std::map<std::string, std::string, std::less<>> names = {
        {"store", "DIR"},      {"find-links", "DIR"}, {"spec", "FILE"},      {"lock", "FILE"},
        {"from-lock", "FILE"}, {"junit", "FILE"},     {"catalog", "FILE"},   {"out", "FILE"},
        {"path", "PATH"},      {"index-url", "URL"},  {"wait", "SECONDS"},   {"timeout", "SECONDS"},
        {"gpu-timeout", "SECONDS"}, {"build-timeout", "SECONDS"}, {"base", "IMAGE"}, {"torch-dir", "DIR"},
    };
    return names;
}

std::string value_name(const CLI::Option& option)
{
    const auto& long_names = option.get_lnames();
    const std::string name = !long_names.empty() ? long_names.front() : option.get_name(true, false);
    if (const auto known = value_names().find(name); known != value_names().end())
        return known->second;
    std::string upper = name;
    std::ranges::transform(upper, upper.begin(), [](unsigned char c) {
        return c == '-' ? '_' : static_cast<char>(std::toupper(c));
    });
    return upper;
}

}  // namespace

std::string HelpFormatter::make_option_opts(const CLI::Option* option) const
{
    const bool flag = option->get_expected_max() == 0 || option->get_type_size() == 0;
    if (flag || !option->get_option_text().empty())
        return CLI::Formatter::make_option_opts(option);
    std::string out = " " + value_name(*option);
    const auto& type = option->get_type_name();
    if (const auto choices = type.find(":{"); choices != std::string::npos)
        out += type.substr(choices);  // ":{auto,always,never}"
    const auto& fallback = option->get_default_str();
    if (!fallback.empty() && fallback != "[]" && fallback != "0" && fallback != "\"\"")
        out += "=" + fallback;
    if (option->get_expected_max() == CLI::detail::expected_max_vector_size)
        out += " ...";
    if (option->get_required())
        out += " REQUIRED";
    return out;
}

void use_help_format(CLI::App& app)
{
    app.formatter(std::make_shared<HelpFormatter>());
    app.option_defaults()->always_capture_default();
}

}  // namespace envpin::cli
