#include "resolver/toml_writer.hpp"

#include <fmt/format.h>

namespace envpin::toml_write {

std::string quote(std::string_view text)
{
    std::string quoted = "\"";
    for (const char c : text) {
        switch (c) {
        case '"':
            quoted += "\\\"";
            break;
        case '\\':
            quoted += "\\\\";
            break;
        case '\n':
            quoted += "\\n";
            break;
        case '\t':
            quoted += "\\t";
            break;
        case '\r':
            quoted += "\\r";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                quoted +=
                    fmt::format("\\u{:04X}", static_cast<unsigned>(static_cast<unsigned char>(c)));
            else
                quoted += c;
        }
    }
    return quoted + "\"";
}

void Writer::comment(std::string_view text)
{
    text_ += fmt::format("# {}\n", text);
}

void Writer::table(std::string_view name)
{
    text_ += fmt::format("\n[{}]\n", name);
}

void Writer::array_table(std::string_view name)
{
    text_ += fmt::format("\n[[{}]]\n", name);
}

void Writer::string(std::string_view key, std::string_view value)
{
    text_ += fmt::format("{} = {}\n", key, quote(value));
}

void Writer::nonempty_string(std::string_view key, std::string_view value)
{
    if (!value.empty())
        string(key, value);
}

void Writer::string_if(std::string_view key, const std::optional<std::string>& value)
{
    if (value)
        string(key, *value);
}

void Writer::strings(std::string_view key, const std::vector<std::string>& values)
{
    std::string items;
    for (const auto& value : values)
        items += (items.empty() ? "" : ", ") + quote(value);
    text_ += fmt::format("{} = [{}]\n", key, items);
}

void Writer::integer(std::string_view key, long long value)
{
    text_ += fmt::format("{} = {}\n", key, value);
}

void Writer::boolean(std::string_view key, bool value)
{
    text_ += fmt::format("{} = {}\n", key, value ? "true" : "false");
}

void Writer::blank()
{
    text_ += "\n";
}

} // namespace envpin::toml_write
