// The file list's shards: which shard an entry belongs to, printing them, and reading them back
// into one validated file list (store/manifest.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <iterator>

#include "store/core/manifest.hpp"
#include "store/core/manifest_text.hpp"
#include "store/core/parallel.hpp"

namespace envpin::store {
namespace {

// Shards by number: 0 "env", 1-26 the letters, 27 digits, 28 anything else.
constexpr size_t shard_count = 29;

size_t shard_number(std::string_view path)
{
    // lib*/python*/site-packages/<child>...
    std::string_view parts[4];
    for (auto& part : parts) {
        const auto end = path.find('/');
        part = path.substr(0, end);
        path = end == std::string_view::npos ? std::string_view() : path.substr(end + 1);
    }
    if (!parts[0].starts_with("lib") || !parts[1].starts_with("python") || parts[2] != "site-packages" ||
        parts[3].empty())
        return 0;
    const char first = parts[3].front();
    if (first >= 'a' && first <= 'z')
        return 1 + static_cast<size_t>(first - 'a');
    if (first >= 'A' && first <= 'Z')
        return 1 + static_cast<size_t>(first - 'A');
    return first >= '0' && first <= '9' ? 27 : 28;
}

std::string shard_name(size_t number)
{
    if (number == 0)
        return "env";
    if (number <= 26)
        return std::string("site-packages-") + static_cast<char>('a' + number - 1);
    return number == 27 ? "site-packages-0" : "site-packages-_";
}

}  // namespace

std::string file_shard_of(std::string_view path)
{
    return shard_name(shard_number(path));
}

std::vector<ShardPlan> plan_file_shards(const std::vector<ManifestEntry>& entries)
{
    std::vector<ShardPlan> plans(shard_count);
    for (const auto& entry : entries)
        plans[shard_number(entry.path)].entries.push_back(&entry);
    std::erase_if(plans, [](const ShardPlan& plan) { return plan.entries.empty(); });
    for (size_t i = 0; i < plans.size(); ++i)
        plans[i].name = file_shard_of(plans[i].entries.front()->path);
    std::ranges::stable_sort(plans, std::greater<>(), [](const ShardPlan& plan) { return plan.entries.size(); });
    return plans;
}

std::string print_file_shard(const ShardPlan& plan, size_t begin, size_t end)
{
    end = std::min(end, plan.entries.size());
    begin = std::min(begin, end);
    std::string text;
    text.reserve((end - begin) * 160 + files_header.size() + 1);
    if (begin == 0)
        text.append(files_header).push_back('\n');
    for (size_t i = begin; i < end; ++i)
        print_file_entry(text, *plan.entries[i]);
    return text;
}

std::vector<FileShard> print_file_shards(const std::vector<ManifestEntry>& entries)
{
    const auto plans = plan_file_shards(entries);
    std::vector<FileShard> shards(plans.size());
    (void)parallel_for(plans.size(), 0, [&](size_t i, unsigned) -> Expected<void> {
        shards[i] = {plans[i].name, print_file_shard(plans[i])};
        return {};
    });
    std::ranges::sort(shards, {}, &FileShard::name);
    return shards;
}

Expected<std::vector<ManifestEntry>> parse_file_shards(const std::vector<FileShard>& shards)
{
    // Every shard cut into pieces of a quarter megabyte, all pieces parsed on all cores: the
    // shard of a package as large as torch (14,000 entries) is not left to one core.
    constexpr size_t piece_bytes = size_t{256} << 10;
    struct Piece {
        size_t shard = 0;
        EntryPiece lines;
    };
    std::vector<Piece> pieces;
    std::vector<size_t> first_piece;
    for (size_t i = 0; i < shards.size(); ++i) {
        auto cut = cut_file_entries(shards[i].text, piece_bytes);
        if (!cut)
            return std::unexpected(std::move(cut.error().with_context(fmt::format("shard '{}'", shards[i].name))));
        first_piece.push_back(pieces.size());
        for (const auto& lines : *cut)
            pieces.push_back({i, lines});
    }
    first_piece.push_back(pieces.size());
    std::vector<Expected<std::vector<ManifestEntry>>> parsed(pieces.size());
    ENVPIN_TRY(parallel_for(pieces.size(), 0, [&](size_t p, unsigned) -> Expected<void> {
        const auto& name = shards[pieces[p].shard].name;
        parsed[p] = parse_entry_piece(pieces[p].lines);
        if (!parsed[p])
            return {};
        for (const auto& entry : *parsed[p]) {
            if (const auto belongs = file_shard_of(entry.path); belongs != name) {
                parsed[p] = fail(ErrorCode::bad_input, "entry '{}' belongs in shard '{}'", escape_field(entry.path), belongs);
                break;
            }
        }
        return {};
    }));
    std::vector<std::vector<ManifestEntry>> by_shard(shards.size());
    size_t total = 0;
    for (size_t i = 0; i < shards.size(); ++i) {
        std::vector<Expected<std::vector<ManifestEntry>>> own(std::make_move_iterator(parsed.begin() + static_cast<long>(first_piece[i])),
                                                              std::make_move_iterator(parsed.begin() + static_cast<long>(first_piece[i + 1])));
        auto joined = join_entry_pieces(own);
        if (!joined)
            return std::unexpected(std::move(joined.error().with_context(fmt::format("shard '{}'", shards[i].name))));
        by_shard[i] = std::move(*joined);
        total += by_shard[i].size();
    }
    // Each shard is in path order (validate_entries refuses the merge otherwise): merged, not sorted.
    std::vector<std::vector<PathKey>> runs(by_shard.size());
    for (size_t r = 0; r < by_shard.size(); ++r) {
        runs[r].reserve(by_shard[r].size());
        for (size_t i = 0; i < by_shard[r].size(); ++i)
            runs[r].push_back({by_shard[r][i].path, static_cast<unsigned>(r), static_cast<unsigned>(i)});
    }
    std::vector<ManifestEntry> entries;
    entries.reserve(total);
    for (const auto& key : merge_path_runs(std::move(runs)))
        entries.push_back(std::move(by_shard[key.run][key.index]));
    ENVPIN_TRY(validate_entries(entries));
    return entries;
}

}  // namespace envpin::store
