#include "resolver/marker.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "base/strings.hpp"
#include "resolver/specifier.hpp"

namespace envpin {
namespace {

constexpr std::array<std::string_view, 12> k_variables{
    "python_version",      "python_full_version",    "os_name",
    "sys_platform",        "platform_release",       "platform_system",
    "platform_version",    "platform_machine",       "platform_python_implementation",
    "implementation_name", "implementation_version", "extra"};

// Longest first, so "<=" is not read as "<".
constexpr std::array<std::string_view, 8> k_comparisons{
    "===", "==", "!=", "<=", ">=", "~=", "<", ">"};

bool is_identifier_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

} // namespace

// Recursive descent over PEP 508's marker grammar (or / and / comparison / parentheses).
class MarkerParser {
  public:
    explicit MarkerParser(std::string_view text) : text_(text) {}

    Expected<Marker> parse()
    {
        Marker marker;
        marker.root_ = ENVPIN_TRY(parse_or());
        skip_spaces();
        if (pos_ != text_.size())
            return error("'and', 'or' or the end of the marker");
        return marker;
    }

  private:
    std::string_view text_;
    size_t pos_ = 0;
    int depth_ = 0;

    std::unexpected<Error> error(std::string_view expected) const
    {
        return fail(ErrorCode::bad_input, "marker '{}': expected {} at column {}", text_, expected,
                    pos_ + 1);
    }

    void skip_spaces()
    {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t'))
            ++pos_;
    }

    // Consumes `word` when it stands alone (not the start of a longer identifier).
    bool keyword(std::string_view word)
    {
        skip_spaces();
        if (!text_.substr(pos_).starts_with(word))
            return false;
        const size_t end = pos_ + word.size();
        if (end < text_.size() && is_identifier_char(text_[end]) && is_identifier_char(word.back()))
            return false;
        pos_ = end;
        return true;
    }

    Expected<Marker::Node> parse_or()
    {
        return parse_chain("or", Marker::Node::Kind::any_of, [this] { return parse_and(); });
    }

    Expected<Marker::Node> parse_and()
    {
        return parse_chain("and", Marker::Node::Kind::all_of, [this] { return parse_atom(); });
    }

    template <class Next>
    Expected<Marker::Node> parse_chain(std::string_view joiner, Marker::Node::Kind kind, Next next)
    {
        auto first = ENVPIN_TRY(next());
        if (!keyword(joiner))
            return first;
        Marker::Node node;
        node.kind = kind;
        node.children.push_back(std::move(first));
        do
            node.children.push_back(ENVPIN_TRY(next()));
        while (keyword(joiner));
        return node;
    }

    Expected<Marker::Node> parse_atom()
    {
        if (keyword("(")) {
            if (++depth_ > 32)
                return error("less nesting");
            auto inner = ENVPIN_TRY(parse_or());
            --depth_;
            if (!keyword(")"))
                return error("')'");
            return inner;
        }
        Marker::Node node;
        node.left = ENVPIN_TRY(parse_operand());
        node.op = ENVPIN_TRY(parse_op());
        node.right = ENVPIN_TRY(parse_operand());
        return node;
    }

    Expected<std::string> parse_op()
    {
        skip_spaces();
        for (auto op : k_comparisons)
            if (text_.substr(pos_).starts_with(op)) {
                pos_ += op.size();
                return std::string(op);
            }
        if (keyword("in"))
            return std::string("in");
        if (keyword("not")) {
            if (keyword("in"))
                return std::string("not in");
            return error("'in' after 'not'");
        }
        return error("a comparison (==, !=, <, <=, >, >=, ~=, ===, in, not in)");
    }

    Expected<Marker::Operand> parse_operand()
    {
        skip_spaces();
        if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\'')) {
            const char quote = text_[pos_];
            const size_t end = text_.find(quote, pos_ + 1);
            if (end == std::string_view::npos)
                return error("a closing quote");
            Marker::Operand literal{false, std::string(text_.substr(pos_ + 1, end - pos_ - 1))};
            pos_ = end + 1;
            return literal;
        }
        size_t end = pos_;
        while (end < text_.size() && is_identifier_char(text_[end]))
            ++end;
        const auto name = text_.substr(pos_, end - pos_);
        if (std::ranges::find(k_variables, name) == k_variables.end())
            return error("an environment marker variable (python_version, platform_system, "
                         "sys_platform, platform_machine, extra, ...) or a quoted string");
        pos_ = end;
        return Marker::Operand{true, std::string(name)};
    }
};

namespace {

std::string resolve_operand(const Marker::Operand& operand, const MarkerEnvironment& environment)
{
    if (!operand.variable)
        return operand.text;
    const auto found = environment.values.find(operand.text);
    return found == environment.values.end() ? std::string() : found->second;
}

bool compare_extra(const Marker::Node& node, const MarkerEnvironment& environment)
{
    const auto& literal = node.left.variable ? node.right : node.left;
    const bool present = environment.extras.contains(normalize_name(literal.text));
    if (node.op == "==")
        return present;
    if (node.op == "!=")
        return !present;
    return false;
}

bool compare_strings(std::string_view op, const std::string& left, const std::string& right)
{
    if (op == "==" || op == "===")
        return left == right;
    if (op == "!=")
        return left != right;
    if (op == "in")
        return right.find(left) != std::string::npos;
    if (op == "not in")
        return right.find(left) == std::string::npos;
    // <, <=, >, >=, ~= between non-versions: Python compares strings lexicographically.
    if (op == "<")
        return left < right;
    if (op == "<=")
        return left <= right;
    if (op == ">")
        return left > right;
    if (op == ">=")
        return left >= right;
    return false;
}

bool compare(const Marker::Node& node, const MarkerEnvironment& environment)
{
    const bool is_extra = (node.left.variable && node.left.text == "extra") ||
                          (node.right.variable && node.right.text == "extra");
    if (is_extra)
        return compare_extra(node, environment);
    const auto left = resolve_operand(node.left, environment);
    const auto right = resolve_operand(node.right, environment);
    if (node.op != "in" && node.op != "not in") {
        // PEP 508: a comparison whose right side is a valid specifier version is a version test.
        auto clause = Specifier::parse(node.op + right);
        auto version = Version::parse(left);
        if (clause && version)
            return clause->matches(*version);
    }
    return compare_strings(node.op, left, right);
}

bool evaluate_node(const Marker::Node& node, const MarkerEnvironment& environment)
{
    switch (node.kind) {
    case Marker::Node::Kind::all_of:
        return std::ranges::all_of(
            node.children, [&](const auto& child) { return evaluate_node(child, environment); });
    case Marker::Node::Kind::any_of:
        return std::ranges::any_of(
            node.children, [&](const auto& child) { return evaluate_node(child, environment); });
    case Marker::Node::Kind::compare:
        return compare(node, environment);
    }
    return false;
}

std::string operand_text(const Marker::Operand& operand)
{
    return operand.variable ? operand.text : "\"" + operand.text + "\"";
}

std::string node_text(const Marker::Node& node, bool nested)
{
    if (node.kind == Marker::Node::Kind::compare)
        return operand_text(node.left) + " " + node.op + " " + operand_text(node.right);
    std::vector<std::string> parts;
    for (const auto& child : node.children)
        parts.push_back(node_text(child, true));
    const auto text = join(parts, node.kind == Marker::Node::Kind::all_of ? " and " : " or ");
    return nested ? "(" + text + ")" : text;
}

} // namespace

MarkerEnvironment MarkerEnvironment::linux_x86_64(std::string_view python_version)
{
    const auto parts = split(python_version, '.');
    const std::string short_version = parts.size() >= 2
                                          ? std::string(parts[0]) + "." + std::string(parts[1])
                                          : std::string(python_version);
    const std::string full_version =
        parts.size() >= 3 ? std::string(python_version) : short_version + ".0";
    MarkerEnvironment environment;
    environment.values = {
        {"python_version", short_version},
        {"python_full_version", full_version},
        {"os_name", "posix"},
        {"sys_platform", "linux"},
        {"platform_system", "Linux"},
        {"platform_machine", "x86_64"},
        {"platform_python_implementation", "CPython"},
        {"implementation_name", "cpython"},
        {"implementation_version", full_version},
    };
    return environment;
}

Expected<Marker> Marker::parse(std::string_view text)
{
    return MarkerParser(trim(text)).parse();
}

bool Marker::evaluate(const MarkerEnvironment& environment) const
{
    return evaluate_node(root_, environment);
}

std::string Marker::to_string() const
{
    return node_text(root_, false);
}

std::string normalize_name(std::string_view name)
{
    std::string normalized;
    bool in_separator = false;
    for (char c : name) {
        if (c == '-' || c == '_' || c == '.') {
            in_separator = true;
            continue;
        }
        if (in_separator && !normalized.empty())
            normalized += '-';
        in_separator = false;
        normalized += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return normalized;
}

} // namespace envpin
