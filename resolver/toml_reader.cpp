#include "resolver/toml_reader.hpp"

#include <algorithm>
#include <utility>

namespace envpin::toml_read {
namespace {

std::string_view type_name(const toml::node& node)
{
    switch (node.type()) {
    case toml::node_type::table:
        return "a table";
    case toml::node_type::array:
        return "an array";
    case toml::node_type::string:
        return "a string";
    case toml::node_type::integer:
        return "an integer";
    case toml::node_type::floating_point:
        return "a number";
    case toml::node_type::boolean:
        return "a boolean";
    default:
        return "a date or time";
    }
}

} // namespace

long line_of(const toml::node& node)
{
    return static_cast<long>(node.source().begin.line);
}

namespace {

// What toml++ is handed: the text with the non-ASCII bytes of comments made '?', refused (the
// line and why) when it holds a control character other than tab, line feed and carriage
// return (TOML allows none) or a non-ASCII character outside a comment. The fuzzer found why
// (fuzz/corpus/*/nul-in-table-header, non-ascii-*): this toml++ broke an internal assertion on
// a NUL, and reaches an "unreachable" point (undefined behaviour) when it asks whether one of
// many non-ASCII characters is whitespace, which it does in more places than a check could
// follow (between tokens, after a line-ending backslash, after an error). envpin's TOML files
// (envpin.toml, envpin.lock, the catalog) hold versions, names, URLs and paths: ASCII.
Expected<std::string> for_parser(std::string_view text, std::string_view origin)
{
    std::string copy(text);
    long line = 1;
    enum class In { code, comment, basic, literal, multi_basic, multi_literal } in = In::code;
    for (size_t i = 0; i < copy.size(); ++i) {
        const char c = copy[i];
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\n') {
            ++line;
            if (in == In::comment)
                in = In::code;
            continue;
        }
        if ((byte < 0x20 && c != '\t' && c != '\r') || byte == 0x7f)
            return fail(ErrorCode::bad_input, "{} line {}: control character 0x{:02x} (TOML allows none but tab)", origin,
                        line, byte);
        if (byte >= 0x80) {
            if (in != In::comment)
                return fail(ErrorCode::bad_input,
                            "{} line {}: a non-ASCII character outside a comment (envpin reads its TOML files as ASCII; "
                            "write a URL or path with %XX escapes)",
                            origin, line);
            copy[i] = '?';
            continue;
        }
        const auto rest = std::string_view(copy).substr(i);
        switch (in) {
        case In::code:
            if (c == '#') {
                in = In::comment;
            } else if (rest.starts_with("\"\"\"")) {
                in = In::multi_basic;
                i += 2;
            } else if (rest.starts_with("'''")) {
                in = In::multi_literal;
                i += 2;
            } else if (c == '"') {
                in = In::basic;
            } else if (c == '\'') {
                in = In::literal;
            }
            break;
        case In::comment:
            break;
        case In::basic:
        case In::multi_basic:
            if (c == '\\' && i + 1 < copy.size() && copy[i + 1] != '\n') {
                ++i;  // an escaped character (a line-ending backslash is left to the newline)
            } else if (in == In::multi_basic && rest.starts_with("\"\"\"")) {
                in = In::code;
                i += 2;
            } else if (in == In::basic && c == '"') {
                in = In::code;
            }
            break;
        case In::literal:
            if (c == '\'')
                in = In::code;
            break;
        case In::multi_literal:
            if (rest.starts_with("'''")) {
                in = In::code;
                i += 2;
            }
            break;
        }
    }
    return copy;
}

}  // namespace

Expected<toml::table> Reader::parse(std::string_view text) const
{
    const auto ascii = ENVPIN_TRY(for_parser(text, origin));
    try {
        return toml::parse(ascii, origin);
    } catch (const toml::parse_error& problem) {
        return fail(ErrorCode::bad_input, "{} line {}: {}", origin, problem.source().begin.line,
                    problem.description());
    }
}

std::unexpected<Error> Reader::error(const toml::node& node, std::string_view message) const
{
    const long line = line_of(node);
    if (line == 0)
        return error(message);
    return fail(ErrorCode::bad_input, "{} line {}: {}", origin, line, message);
}

std::unexpected<Error> Reader::error(std::string_view message) const
{
    return fail(ErrorCode::bad_input, "{}: {}", origin, message);
}

Expected<std::optional<std::string>> Reader::string(const toml::table& table,
                                                    std::string_view key) const
{
    const auto* node = table.get(key);
    if (node == nullptr)
        return std::nullopt;
    if (const auto* value = node->as_string())
        return std::optional<std::string>(value->get());
    return error(*node, fmt::format("'{}' must be a string, not {}", key, type_name(*node)));
}

Expected<std::optional<long long>> Reader::integer(const toml::table& table,
                                                   std::string_view key) const
{
    const auto* node = table.get(key);
    if (node == nullptr)
        return std::nullopt;
    if (const auto* value = node->as_integer())
        return std::optional<long long>(value->get());
    return error(*node, fmt::format("'{}' must be an integer, not {}", key, type_name(*node)));
}

Expected<std::optional<double>> Reader::number(const toml::table& table, std::string_view key) const
{
    const auto* node = table.get(key);
    if (node == nullptr)
        return std::nullopt;
    if (const auto* value = node->as_integer())
        return std::optional<double>(static_cast<double>(value->get()));
    if (const auto* value = node->as_floating_point())
        return std::optional<double>(value->get());
    return error(*node, fmt::format("'{}' must be a number, not {}", key, type_name(*node)));
}

Expected<std::optional<bool>> Reader::boolean(const toml::table& table, std::string_view key) const
{
    const auto* node = table.get(key);
    if (node == nullptr)
        return std::nullopt;
    if (const auto* value = node->as_boolean())
        return std::optional<bool>(value->get());
    return error(*node, fmt::format("'{}' must be true or false, not {}", key, type_name(*node)));
}

Expected<std::vector<std::string>> Reader::strings(const toml::table& table,
                                                   std::string_view key) const
{
    std::vector<std::string> values;
    const auto* node = table.get(key);
    if (node == nullptr)
        return values;
    const auto* array = node->as_array();
    if (array == nullptr)
        return error(
            *node, fmt::format("'{}' must be an array of strings, not {}", key, type_name(*node)));
    for (const auto& element : *array) {
        const auto* text = element.as_string();
        if (text == nullptr)
            return error(element, fmt::format("'{}' must hold strings only, not {}", key,
                                              type_name(element)));
        values.push_back(text->get());
    }
    return values;
}

Expected<const toml::table*> Reader::table(const toml::table& parent, std::string_view key) const
{
    const auto* node = parent.get(key);
    if (node == nullptr)
        return nullptr;
    if (const auto* value = node->as_table())
        return value;
    return error(*node, fmt::format("'{}' must be a table, not {}", key, type_name(*node)));
}

Expected<std::vector<const toml::table*>> Reader::tables(const toml::table& parent,
                                                         std::string_view key) const
{
    std::vector<const toml::table*> values;
    const auto* node = parent.get(key);
    if (node == nullptr)
        return values;
    const auto* array = node->as_array();
    if (array == nullptr)
        return error(*node, fmt::format("'{}' must be an array of tables ([[{}]]), not {}", key,
                                        key, type_name(*node)));
    for (const auto& element : *array) {
        const auto* entry = element.as_table();
        if (entry == nullptr)
            return error(element, fmt::format("'{}' must hold tables only, not {}", key,
                                              type_name(element)));
        values.push_back(entry);
    }
    return values;
}

Expected<std::string> Reader::required_string(const toml::table& table, std::string_view key) const
{
    auto value = ENVPIN_TRY(string(table, key));
    if (!value)
        return error(table, fmt::format("missing '{}' (a string)", key));
    return std::move(*value);
}

Expected<void> Reader::only_keys(const toml::table& table, std::string_view where,
                                 std::initializer_list<std::string_view> allowed) const
{
    for (const auto& [key, node] : table)
        if (std::ranges::find(allowed, key.str()) == allowed.end())
            return error(node, fmt::format("unknown key '{}' in {}", key.str(), where));
    return {};
}

} // namespace envpin::toml_read
