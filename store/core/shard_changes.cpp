// Where one shard of a target manifest, as manifests.git keeps it, differs from the same shard
// of the live tree: an entry prints as one line, the same entry as the same line, so a line
// equal to its live entry's print is passed over unparsed. Putting back one file of torch's
// 24,000-entry shard parses the one line that differs.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>

#include "store/core/manifest.hpp"
#include "store/core/manifest_text.hpp"
#include "store/core/parallel.hpp"

namespace envpin::store {
namespace {

using Live = std::span<const ManifestEntry* const>;

// What one piece of the shard's text found.
struct PieceChanges {
    std::vector<ManifestEntry> target;
    std::vector<std::string> paths;
    std::string first_path, last_path;  // of its first and last lines
};

Expected<ManifestEntry> parse_line(std::string_view line, size_t number)
{
    auto parsed = ENVPIN_TRY(parse_entry_piece({line, number}));
    return std::move(parsed.front());
}

// The line of live entry i, printed once however many lines are compared with it (after a
// removed package, thousands of target lines meet the same live entry).
class LiveLines {
public:
    explicit LiveLines(Live live) : live_(live) {}
    bool prints_as(size_t i, std::string_view line)
    {
        if (printed_for_ != i) {
            printed_.clear();
            print_file_entry(printed_, *live_[i]);
            printed_for_ = i;
        }
        return printed_ == line;
    }

private:
    Live live_;
    std::string printed_;
    size_t printed_for_ = SIZE_MAX;
};

// The lines of `piece` against the live entries [begin, end) that sort among them, in step:
// `equal[i]` is set for each live entry i that a line prints. The lines' order is checked as
// validate_entries checks entries' (an equal line's path is its live entry's).
Expected<PieceChanges> compare_piece(const EntryPiece& piece, Live live, size_t begin, size_t end, std::vector<char>& equal)
{
    PieceChanges changes;
    LiveLines lines(live);
    auto body = piece.lines;
    size_t i = begin;
    std::string_view previous;  // the last line's path: in `live`, or in `held`
    std::string held;
    bool first = true;
    const auto in_order = [&](std::string_view path, size_t number) -> Expected<void> {
        if (first)
            changes.first_path = path;
        else if (!(previous < path))
            return fail(ErrorCode::bad_input, "line {}: entries are not sorted and unique", number);
        first = false;
        return {};
    };
    for (size_t number = piece.first_line; !body.empty(); ++number) {
        const auto newline = body.find('\n');
        if (newline == std::string_view::npos)
            return fail(ErrorCode::bad_input, "line {}: missing final newline", number);
        const auto line = body.substr(0, newline + 1);
        body.remove_prefix(newline + 1);
        if (i < end && lines.prints_as(i, line)) {
            ENVPIN_TRY(in_order(live[i]->path, number));
            previous = live[i]->path;
            equal[i++] = 1;
            continue;
        }
        auto entry = ENVPIN_TRY(parse_line(line, number));
        for (; i < end && live[i]->path < entry.path; ++i)
            changes.paths.push_back(live[i]->path);
        ENVPIN_TRY(in_order(entry.path, number));
        held = entry.path;
        previous = held;
        if (i < end && live[i]->path == entry.path) {
            if (lines.prints_as(i, line)) {
                equal[i++] = 1;
                continue;
            }
            ++i;
        }
        changes.paths.push_back(entry.path);
        changes.target.push_back(std::move(entry));
    }
    for (; i < end; ++i)
        changes.paths.push_back(live[i]->path);
    changes.last_path = previous;
    return changes;
}

// Where each piece's live entries begin: at the first that does not sort before the piece's
// first line (the first piece: at the start).
Expected<std::vector<size_t>> live_starts(const std::vector<EntryPiece>& pieces, Live live)
{
    std::vector<size_t> starts{0};
    std::string previous;
    for (size_t p = 1; p < pieces.size(); ++p) {
        const auto first = pieces[p].lines.substr(0, pieces[p].lines.find('\n') + 1);
        auto entry = ENVPIN_TRY(parse_line(first, pieces[p].first_line));
        if (p > 1 && !(previous < entry.path))
            return fail(ErrorCode::bad_input, "line {}: entries are not sorted and unique", pieces[p].first_line);
        const auto start = std::ranges::lower_bound(live, std::string_view(entry.path), {}, [](const ManifestEntry* live_entry) {
            return std::string_view(live_entry->path);
        });
        starts.push_back(static_cast<size_t>(start - live.begin()));
        previous = std::move(entry.path);
    }
    starts.push_back(live.size());
    return starts;
}

const ManifestEntry* find_in(const std::vector<ManifestEntry>& entries, std::string_view path)
{
    const auto found = std::ranges::lower_bound(entries, path, {}, [](const ManifestEntry& entry) { return std::string_view(entry.path); });
    return found != entries.end() && found->path == path ? &*found : nullptr;
}

// A live entry below `path` that the target holds unchanged, if any.
const ManifestEntry* unchanged_below(Live live, const std::vector<char>& equal, const std::string& path)
{
    const auto prefix = path + "/";
    auto at = std::ranges::lower_bound(live, std::string_view(prefix), {}, [](const ManifestEntry* entry) { return std::string_view(entry->path); });
    for (; at != live.end() && (*at)->path.starts_with(prefix); ++at)
        if (equal[static_cast<size_t>(at - live.begin())] != 0)
            return *at;
    return nullptr;
}

// What check_changes looks entries up in.
struct ChangeContext {
    const ShardChanges& changes;
    std::string_view shard;
    Live live;
    const std::vector<char>& equal;
    const std::vector<ManifestEntry>& outside;

    // Whether the target holds `path` as a directory: among the changes, the live entries it
    // holds unchanged, or `outside`.
    bool directory_at(std::string_view path) const
    {
        if (const auto* entry = find_in(changes.target, path))
            return entry->kind == EntryKind::directory;
        const auto found = std::ranges::lower_bound(live, path, {}, [](const ManifestEntry* entry) { return std::string_view(entry->path); });
        if (found != live.end() && (*found)->path == path)
            return equal[static_cast<size_t>(found - live.begin())] != 0 && (*found)->kind == EntryKind::directory;
        const auto* entry = find_in(outside, path);
        return entry != nullptr && entry->kind == EntryKind::directory;
    }
};

// validate_entries' rules for changes.target[i].
Expected<void> check_change(const ChangeContext& context, size_t i)
{
    const auto& target = context.changes.target;
    const auto& entry = target[i];
    auto where = [&] { return fmt::format("shard '{}': entry '{}'", context.shard, escape_field(entry.path)); };
    if (i > 0 && !(target[i - 1].path < entry.path))
        return fail(ErrorCode::bad_input, "{}: entries are not sorted and unique", where());
    if (auto checked = check_entry(entry); !checked)
        return std::unexpected(checked.error().with_context(where()));
    if (const auto belongs = file_shard_of(entry.path); belongs != context.shard)
        return fail(ErrorCode::bad_input, "{}: belongs in shard '{}'", where(), belongs);
    if (entry.path == "." || !context.directory_at(parent_of(entry.path)))
        return fail(ErrorCode::bad_input, "{}: its parent is not a directory of the environment (a path "
                                          "through a symlink or a file could escape it)", where());
    if (entry.kind != EntryKind::directory)
        if (const auto* below = unchanged_below(context.live, context.equal, entry.path))
            return fail(ErrorCode::bad_input, "shard '{}': entry '{}': its parent is not a directory of the environment "
                                              "(a path through a symlink or a file could escape it)",
                        context.shard, escape_field(below->path));
    return {};
}

// validate_entries' rules for the entries that differ, in chunks on all cores (a removed
// package makes thousands); the problem reported is the first in path order.
Expected<void> check_changes(const ChangeContext& context)
{
    constexpr size_t chunk = 4096;
    const size_t count = context.changes.target.size();
    std::vector<std::optional<Error>> problems((count + chunk - 1) / chunk);
    (void)parallel_for(problems.size(), 0, [&](size_t c, unsigned) -> Expected<void> {
        for (size_t i = c * chunk; i < std::min(count, (c + 1) * chunk); ++i)
            if (auto checked = check_change(context, i); !checked) {
                problems[c] = std::move(checked.error());
                break;
            }
        return {};
    });
    for (auto& problem : problems)
        if (problem)
            return std::unexpected(std::move(*problem));
    return {};
}

}  // namespace

Expected<ShardChanges> shard_changes(const FileShard& shard, Live live, const std::vector<ManifestEntry>& outside)
{
    constexpr size_t piece_bytes = size_t{64} << 10;
    const auto pieces = ENVPIN_TRY_CTX(fmt::format("shard '{}'", shard.name), cut_file_entries(shard.text, piece_bytes));
    ShardChanges changes;
    if (pieces.empty()) {  // a shard without entries: every live one differs
        for (const auto* entry : live)
            changes.paths.push_back(entry->path);
        return changes;
    }
    const auto starts = ENVPIN_TRY_CTX(fmt::format("shard '{}'", shard.name), live_starts(pieces, live));
    std::vector<char> equal(live.size(), 0);
    std::vector<Expected<PieceChanges>> found(pieces.size());
    ENVPIN_TRY(parallel_for(pieces.size(), 0, [&](size_t p, unsigned) -> Expected<void> {
        found[p] = compare_piece(pieces[p], live, starts[p], starts[p + 1], equal);
        return {};
    }));
    for (size_t p = 0; p < found.size(); ++p) {
        auto& piece = found[p];
        if (!piece)
            return std::unexpected(piece.error().with_context(fmt::format("shard '{}'", shard.name)));
        if (p > 0 && !(found[p - 1]->last_path < piece->first_path))
            return fail(ErrorCode::bad_input, "shard '{}': line {}: entries are not sorted and unique", shard.name,
                        pieces[p].first_line);
        std::ranges::move(piece->target, std::back_inserter(changes.target));
        std::ranges::move(piece->paths, std::back_inserter(changes.paths));
    }
    ENVPIN_TRY(check_changes({changes, shard.name, live, equal, outside}));
    return changes;
}

}  // namespace envpin::store
