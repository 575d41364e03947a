#include "resolver/toml_reader.hpp"

#include <algorithm>
#include <optional>
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

// What toml++ is never handed (the fuzzer found both: fuzz/corpus/*/nul-in-table-header,
// fuzz/corpus/*/non-ascii-outside-strings-*): a control character other than tab, line feed and
// carriage return, which TOML allows nowhere; and a non-ASCII character outside strings and
// comments, which TOML 1.0 allows nowhere either, and on which this toml++ reaches an
// "unreachable" point (undefined behaviour) while classifying whitespace. nullopt when clean;
// else the line and what is wrong.
std::optional<std::pair<long, std::string>> unparseable(std::string_view text)
{
    long line = 1;
    enum class In { code, comment, basic, literal, multi_basic, multi_literal } in = In::code;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\n') {
            ++line;
            if (in == In::comment)
                in = In::code;
            continue;
        }
        if ((byte < 0x20 && c != '\t' && c != '\r') || byte == 0x7f)
            return std::pair(line, fmt::format("control character 0x{:02x} (TOML allows none but tab)", byte));
        const auto rest = text.substr(i);
        switch (in) {
        case In::code:
            if (byte >= 0x80)
                return std::pair(line, std::string("a non-ASCII character outside a string or comment"));
            if (c == '#')
                in = In::comment;
            else if (rest.starts_with("\"\"\"")) {
                in = In::multi_basic;
                i += 2;
            } else if (rest.starts_with("'''")) {
                in = In::multi_literal;
                i += 2;
            } else if (c == '"')
                in = In::basic;
            else if (c == '\'')
                in = In::literal;
            break;
        case In::comment:
            break;
        case In::basic:
        case In::multi_basic:
            if (c == '\\')
                ++i;  // the escaped character (a newline after it is counted below)
            else if (in == In::multi_basic && rest.starts_with("\"\"\"")) {
                in = In::code;
                i += 2;
            } else if (in == In::basic && c == '"')
                in = In::code;
            if (i < text.size() && text[i] == '\n' && c == '\\')
                ++line;
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
    return std::nullopt;
}

}  // namespace

Expected<toml::table> Reader::parse(std::string_view text) const
{
    if (const auto wrong = unparseable(text))
        return fail(ErrorCode::bad_input, "{} line {}: {}", origin, wrong->first, wrong->second);
    try {
        return toml::parse(text, origin);
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
