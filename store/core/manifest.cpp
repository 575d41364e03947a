#include "store/core/manifest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <optional>
#include <tuple>
#include <unordered_set>

#include "base/strings.hpp"
#include "store/core/manifest_text.hpp"
#include "store/core/parallel.hpp"

namespace envpin::store {
namespace {

constexpr std::string_view distributions_header = "envpin-distributions 1";

Expected<unsigned> parse_mode(std::string_view text)
{
    if (text.size() != 4 || text.find_first_not_of("01234567") != std::string_view::npos)
        return fail(ErrorCode::bad_input, "mode '{}' is not four octal digits", text);
    unsigned mode = 0;
    for (const char c : text)
        mode = mode * 8 + static_cast<unsigned>(c - '0');
    return mode;
}

Expected<long long> parse_number(std::string_view text, std::string_view what)
{
    const auto value = parse_integer(text);
    if (!value)
        return fail(ErrorCode::bad_input, "{} '{}' is not a non-negative integer", what, text);
    return *value;
}

Expected<ManifestEntry> parse_entry(const std::vector<std::string_view>& fields)
{
    ManifestEntry entry;
    if (fields[0] == "d" && fields.size() == 3) {
        entry.kind = EntryKind::directory;
        entry.mode = ENVPIN_TRY(parse_mode(fields[1]));
        entry.path = ENVPIN_TRY(unescape_field(fields[2]));
    } else if (fields[0] == "f" && fields.size() == 6) {
        entry.kind = EntryKind::file;
        entry.mode = ENVPIN_TRY(parse_mode(fields[1]));
        entry.size = ENVPIN_TRY(parse_number(fields[2], "size"));
        entry.mtime_ns = ENVPIN_TRY(parse_number(fields[3], "mtime"));
        const auto digest = Digest::from_hex(fields[4]);
        if (!digest)
            return fail(ErrorCode::bad_input, "'{}' is not a sha256", fields[4]);
        entry.digest = *digest;
        entry.path = ENVPIN_TRY(unescape_field(fields[5]));
    } else if (fields[0] == "l" && fields.size() == 3) {
        entry.kind = EntryKind::symlink;
        entry.path = ENVPIN_TRY(unescape_field(fields[1]));
        entry.target = ENVPIN_TRY(unescape_field(fields[2]));
        entry.size = static_cast<long long>(entry.target.size());
    } else {
        return fail(ErrorCode::bad_input, "unknown entry kind or wrong number of fields");
    }
    return entry;
}

Expected<void> check_path(std::string_view path)
{
    if (path == ".")
        return {};
    if (path.empty())
        return fail(ErrorCode::bad_input, "empty path");
    if (path.front() == '/')
        return fail(ErrorCode::bad_input, "'{}' is an absolute path", escape_field(path));
    if (path.find('\0') != std::string_view::npos)
        return fail(ErrorCode::bad_input, "path contains a NUL byte");
    for (size_t start = 0; start <= path.size();) {
        const auto slash = std::min(path.find('/', start), path.size());
        const auto component = path.substr(start, slash - start);
        if (component.empty() || component == "." || component == "..")
            return fail(ErrorCode::bad_input, "'{}' has an empty, '.' or '..' component", escape_field(path));
        start = slash + 1;
    }
    return {};
}

}  // namespace

std::string_view parent_of(std::string_view path)
{
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view(".") : path.substr(0, slash);
}

Expected<void> check_entry(const ManifestEntry& entry)
{
    ENVPIN_TRY(check_path(entry.path));
    if (entry.mode > 07777)
        return fail(ErrorCode::bad_input, "mode {:o} out of range", entry.mode);
    switch (entry.kind) {
    case EntryKind::file:
        if ((entry.mode & 07000) != 0)
            return fail(ErrorCode::bad_input, "file has a setuid, setgid or sticky bit ({:04o})", entry.mode);
        if (entry.size < 0)
            return fail(ErrorCode::bad_input, "negative size");
        break;
    case EntryKind::directory:
        if ((entry.mode & 04000) != 0)
            return fail(ErrorCode::bad_input, "directory has a setuid bit ({:04o})", entry.mode);
        break;
    case EntryKind::symlink:
        if (entry.target.empty() || entry.target.find('\0') != std::string::npos)
            return fail(ErrorCode::bad_input, "symlink target is empty or contains NUL");
        break;
    }
    return {};
}

bool same_state(const ManifestEntry& a, const ManifestEntry& b)
{
    return a.kind == b.kind && a.mode == b.mode && a.size == b.size && a.digest == b.digest &&
           a.target == b.target && a.path == b.path;
}

void sort_distributions(std::vector<Distribution>& distributions)
{
    std::ranges::sort(distributions, [](const Distribution& a, const Distribution& b) {
        const auto key_a = normalize_name(a.name), key_b = normalize_name(b.name);
        return std::tie(key_a, a.version, a.dist_info) < std::tie(key_b, b.version, b.dist_info);
    });
}

void sort_manifest(Manifest& manifest)
{
    std::ranges::sort(manifest.entries, {}, &ManifestEntry::path);
    sort_distributions(manifest.distributions);
}

std::string escape_field(std::string_view text)
{
    std::string escaped;
    escaped.reserve(text.size());
    append_escaped(escaped, text);
    return escaped;
}

Expected<std::string> unescape_field(std::string_view text)
{
    std::string plain;
    plain.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte == 0x7f)
            return fail(ErrorCode::bad_input, "unescaped control byte 0x{:02x}", byte);
        if (text[i] != '\\') {
            plain += text[i];
            continue;
        }
        if (++i == text.size())
            return fail(ErrorCode::bad_input, "dangling backslash");
        switch (text[i]) {
        case '\\': plain += '\\'; break;
        case 't': plain += '\t'; break;
        case 'n': plain += '\n'; break;
        case 'r': plain += '\r'; break;
        case 'x': {
            const auto digits = text.substr(i + 1, 2);
            if (digits.size() != 2 || digits.find_first_not_of("0123456789abcdef") != std::string_view::npos)
                return fail(ErrorCode::bad_input, "bad \\x escape");
            plain += static_cast<char>(std::stoi(std::string(digits), nullptr, 16));
            i += 2;
            break;
        }
        default: return fail(ErrorCode::bad_input, "unknown escape \\{}", text[i]);
        }
    }
    return plain;
}

std::string print_files(const std::vector<ManifestEntry>& entries)
{
    std::string text(files_header);
    text += '\n';
    text.reserve(entries.size() * 160);  // a file line is ~100 bytes plus its path
    for (const auto& entry : entries)
        print_file_entry(text, entry);
    return text;
}

std::string print_distributions(const std::vector<Distribution>& distributions)
{
    auto field = [](const std::string& value) { return value.empty() ? std::string("-") : escape_field(value); };
    std::string text(distributions_header);
    text += '\n';
    for (const auto& d : distributions)
        text += fmt::format("{}\t{}\t{}\t{}\t{}\n", field(d.name), field(d.version), field(d.installer),
                            field(d.url), field(d.dist_info));
    return text;
}

namespace {
// Splits `text` into lines, checks the header, and hands each line's fields to `on_line`.
template <class OnLine>
Expected<void> for_each_line(std::string_view text, std::string_view header, OnLine on_line)
{
    size_t line_number = 0;
    bool saw_header = false;
    while (!text.empty()) {
        const auto end = text.find('\n');
        if (end == std::string_view::npos)
            return fail(ErrorCode::bad_input, "line {}: missing final newline", line_number + 1);
        const auto line = text.substr(0, end);
        text.remove_prefix(end + 1);
        ++line_number;
        if (!saw_header) {
            if (line != header)
                return fail(ErrorCode::bad_input, "line 1: expected '{}'", header);
            saw_header = true;
            continue;
        }
        if (auto done = on_line(split(line, '\t')); !done)
            return std::unexpected(std::move(done.error().with_context(fmt::format("line {}", line_number))));
    }
    if (!saw_header)
        return fail(ErrorCode::bad_input, "empty; expected '{}'", header);
    return {};
}

// `body` cut at line ends into about `parts` pieces.
std::vector<std::string_view> cut_at_lines(std::string_view body, size_t parts)
{
    std::vector<std::string_view> pieces;
    size_t start = 0;
    for (size_t i = 1; i <= parts && start < body.size(); ++i) {
        size_t end = i == parts ? body.size() : body.find('\n', std::max(start, body.size() * i / parts));
        end = end == std::string_view::npos ? body.size() : std::min(end + 1, body.size());
        pieces.push_back(body.substr(start, end - start));
        start = end;
    }
    return pieces;
}
}  // namespace

Expected<std::vector<EntryPiece>> cut_file_entries(std::string_view text, size_t piece_bytes)
{
    if (text.empty())
        return fail(ErrorCode::bad_input, "empty; expected '{}'", files_header);
    const auto header_end = text.find('\n');
    if (header_end == std::string_view::npos)
        return fail(ErrorCode::bad_input, "line 1: missing final newline");
    if (text.substr(0, header_end) != files_header)
        return fail(ErrorCode::bad_input, "line 1: expected '{}'", files_header);
    const auto body = text.substr(header_end + 1);
    std::vector<EntryPiece> pieces;
    size_t first_line = 2;
    for (const auto piece : cut_at_lines(body, std::max<size_t>(1, body.size() / std::max<size_t>(1, piece_bytes)))) {
        pieces.push_back({piece, first_line});
        first_line += static_cast<size_t>(std::ranges::count(piece, '\n'));
    }
    return pieces;
}

Expected<std::vector<ManifestEntry>> parse_entry_piece(const EntryPiece& piece)
{
    std::vector<ManifestEntry> entries;
    auto body = piece.lines;
    for (size_t line_number = piece.first_line; !body.empty(); ++line_number) {
        const auto end = body.find('\n');
        if (end == std::string_view::npos)
            return fail(ErrorCode::bad_input, "line {}: missing final newline", line_number);
        auto entry = parse_entry(split(body.substr(0, end), '\t'));
        if (!entry)
            return std::unexpected(std::move(entry.error().with_context(fmt::format("line {}", line_number))));
        entries.push_back(std::move(*entry));
        body.remove_prefix(end + 1);
    }
    return entries;
}

Expected<std::vector<ManifestEntry>> parse_file_entries(std::string_view text, unsigned threads)
{
    // Pieces of at least a megabyte, at most one per worker.
    constexpr size_t piece_bytes = size_t{1} << 20;
    const size_t parts = worker_count(threads, std::max<size_t>(1, text.size() / piece_bytes));
    const auto pieces = ENVPIN_TRY(cut_file_entries(text, std::max(piece_bytes, text.size() / parts)));
    std::vector<Expected<std::vector<ManifestEntry>>> parsed(pieces.size());
    ENVPIN_TRY(parallel_for(pieces.size(), threads, [&](size_t i, unsigned) -> Expected<void> {
        parsed[i] = parse_entry_piece(pieces[i]);
        return {};
    }));
    return join_entry_pieces(parsed);
}

Expected<std::vector<ManifestEntry>> join_entry_pieces(std::vector<Expected<std::vector<ManifestEntry>>>& parsed)
{
    size_t total = 0;
    for (const auto& piece : parsed) {
        if (!piece)
            return std::unexpected(piece.error());
        total += piece->size();
    }
    std::vector<ManifestEntry> entries;
    if (!parsed.empty() && parsed.front()) {
        entries = std::move(*parsed.front());
        entries.reserve(total);
    }
    for (size_t i = 1; i < parsed.size(); ++i)
        std::ranges::move(*parsed[i], std::back_inserter(entries));
    return entries;
}

Expected<std::vector<ManifestEntry>> parse_files(std::string_view text)
{
    // A manifest of 70,000 files is ~10 MB: its pieces of about a megabyte parse on all cores
    // (the store reads two manifests on the way to a reset).
    auto entries = ENVPIN_TRY(parse_file_entries(text, 0));
    ENVPIN_TRY(validate_entries(entries));
    return entries;
}

Expected<std::vector<Distribution>> parse_distributions(std::string_view text)
{
    std::vector<Distribution> distributions;
    auto field = [](std::string_view value) -> Expected<std::string> {
        if (value == "-")
            return std::string();
        return unescape_field(value);
    };
    auto on_line = [&](const std::vector<std::string_view>& fields) -> Expected<void> {
        if (fields.size() != 5)
            return fail(ErrorCode::bad_input, "expected 5 fields, found {}", fields.size());
        Distribution distribution;
        std::string* slots[] = {&distribution.name, &distribution.version, &distribution.installer,
                                &distribution.url, &distribution.dist_info};
        for (size_t i = 0; i < 5; ++i)
            *slots[i] = ENVPIN_TRY(field(fields[i]));
        distributions.push_back(std::move(distribution));
        return {};
    };
    ENVPIN_TRY(for_each_line(text, distributions_header, on_line));
    return distributions;
}

namespace {

// True when entries[0, end) (sorted, as the caller has checked) holds `path` as a directory.
bool is_directory_before(const std::vector<ManifestEntry>& entries, size_t end, std::string_view path)
{
    if (path == ".")
        return true;  // entries[0], checked by the caller
    const auto first = entries.begin() + 1, last = entries.begin() + static_cast<std::ptrdiff_t>(end);
    const auto found = std::lower_bound(first, last, path, [](const ManifestEntry& entry, std::string_view wanted) {
        return std::string_view(entry.path) < wanted;
    });
    return found != last && found->path == path && found->kind == EntryKind::directory;
}

// The first problem among entries[begin, end), as validate_entries words it.
std::optional<std::pair<size_t, Error>> first_problem(const std::vector<ManifestEntry>& entries, size_t begin, size_t end)
{
    for (size_t i = std::max<size_t>(begin, 1); i < end; ++i) {
        const auto& entry = entries[i];
        auto where = [&] { return fmt::format("entry '{}'", escape_field(entry.path)); };
        if (!(entries[i - 1].path < entry.path))
            return std::pair(i, Error{ErrorCode::bad_input, fmt::format("{}: entries are not sorted and unique", where()), {}});
        if (auto checked = check_entry(entry); !checked)
            return std::pair(i, checked.error().with_context(where()));
        if (!is_directory_before(entries, i, parent_of(entry.path)))
            return std::pair(i, Error{ErrorCode::bad_input,
                                      fmt::format("{}: its parent is not a directory of the environment (a path "
                                                  "through a symlink or a file could escape it)", where()), {}});
    }
    return std::nullopt;
}

}  // namespace

// In chunks on all cores; the problem reported is the first in path order, as a sequential
// check would find it (before that index the entries are sorted, so the parent lookups agree).
Expected<void> validate_entries(const std::vector<ManifestEntry>& entries)
{
    if (entries.empty() || entries.front().path != "." || entries.front().kind != EntryKind::directory)
        return fail(ErrorCode::bad_input, "the first entry must be the root directory '.'");
    ENVPIN_TRY_CTX("entry '.'", check_entry(entries.front()));
    constexpr size_t chunk = 8192;
    const size_t chunks = (entries.size() + chunk - 1) / chunk;
    std::vector<std::optional<std::pair<size_t, Error>>> problems(chunks);
    (void)parallel_for(chunks, 0, [&](size_t c, unsigned) -> Expected<void> {
        problems[c] = first_problem(entries, c * chunk, std::min(entries.size(), (c + 1) * chunk));
        return {};
    });
    for (auto& problem : problems) {
        if (problem)
            return std::unexpected(std::move(problem->second));
    }
    return {};
}

namespace {
// Length-prefixed fields: unambiguous without escaping, and cheap (no formatting per entry).
void append_field(std::string& record, std::string_view field)
{
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, field.size()).ptr;
    record.append(digits, end);
    record += ':';
    record.append(field);
}
}  // namespace

Digest state_digest(const Manifest& manifest)
{
    Sha256 hasher;
    std::string record;
    for (const auto& entry : manifest.entries) {
        record.assign(1, kind_letter(entry.kind));
        char numbers[48];
        const auto end = std::to_chars(numbers, numbers + 24, entry.mode).ptr;
        *end = ' ';
        const auto last = std::to_chars(end + 1, numbers + sizeof numbers, entry.size).ptr;
        append_field(record, std::string_view(numbers, static_cast<size_t>(last - numbers)));
        if (entry.kind == EntryKind::file)
            record.append(reinterpret_cast<const char*>(entry.digest.bytes.data()), entry.digest.bytes.size());
        append_field(record, entry.target);
        append_field(record, entry.path);
        hasher.update(record.data(), record.size());
    }
    const auto distributions = print_distributions(manifest.distributions);
    hasher.update(distributions.data(), distributions.size());
    return hasher.finish();
}

}  // namespace envpin::store
