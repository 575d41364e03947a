#include "store/core/ref.hpp"

#include <cctype>

#include "base/strings.hpp"

namespace envpin::store {

Expected<void> check_environment_name(std::string_view name)
{
    auto bad = [&](std::string_view why) {
        return fail(ErrorCode::bad_input, "environment name '{}' {}", name, why);
    };
    if (name.empty() || name.size() > 64)
        return bad("must have 1 to 64 characters");
    if (!std::isalnum(static_cast<unsigned char>(name.front())))
        return bad("must start with a letter or digit");
    for (const char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
            return bad("may only contain letters, digits, '.', '_' and '-'");
    }
    if (name.find("..") != std::string_view::npos || name.ends_with(".lock") || name.ends_with("."))
        return bad("must not contain '..' or end in '.' or '.lock'");
    return {};
}

bool looks_like_commit_prefix(std::string_view text)
{
    return text.size() >= 4 && text.size() <= 40 &&
           text.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

Expected<SnapshotRef> parse_ref(std::string_view text)
{
    const auto at = text.find('@');
    if (at == std::string_view::npos) {
        if (!check_environment_name(text) && !looks_like_commit_prefix(text))
            return fail(ErrorCode::bad_input, "'{}' is not a snapshot reference (NAME, NAME@SEQ, NAME@~N or a commit id)", text);
        return SnapshotRef{SnapshotRef::Kind::bare, std::string(text), 0};
    }
    const auto name = text.substr(0, at);
    ENVPIN_TRY_CTX(fmt::format("reference '{}'", text), check_environment_name(name));
    auto suffix = text.substr(at + 1);
    SnapshotRef ref{SnapshotRef::Kind::seq, std::string(name), 0};
    if (suffix.starts_with('~')) {
        ref.kind = SnapshotRef::Kind::back;
        suffix.remove_prefix(1);
    }
    const auto number = all_digits(suffix) && suffix.size() <= 12 ? parse_integer(suffix) : std::nullopt;
    if (!number || (ref.kind == SnapshotRef::Kind::seq && *number < 1))
        return fail(ErrorCode::bad_input, "reference '{}': expected NAME@SEQ (SEQ >= 1) or NAME@~N", text);
    ref.number = *number;
    return ref;
}

}  // namespace envpin::store
