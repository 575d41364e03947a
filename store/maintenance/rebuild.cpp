#include "store/maintenance/rebuild.hpp"

#include <algorithm>
#include <ranges>

#include "store/core/manifest.hpp"
#include "store/core/ref.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

// What a snapshot's commit message says (lifecycle/snapshot.cpp writes it):
// "NAME@SEQ: TEXT\n\nreason: REASON\nenvironment: PATH\n...".
struct CommitFacts {
    long long seq = 0;
    std::string text;
    std::string reason;
    fs::path environment;
};

Expected<CommitFacts> read_commit_facts(const LoggedCommit& commit, std::string_view name)
{
    CommitFacts facts;
    const std::string_view message = commit.message;
    const auto subject = message.substr(0, message.find('\n'));
    const auto prefix = fmt::format("{}@", name);
    const auto colon = subject.find(": ");
    if (!subject.starts_with(prefix) || colon == std::string_view::npos)
        return fail(ErrorCode::corrupt, "commit {} of {}: its subject '{}' is not '{}N: ...'", commit.id.substr(0, 12),
                    name, subject, prefix);
    try {
        facts.seq = std::stoll(std::string(subject.substr(prefix.size(), colon - prefix.size())));
    } catch (const std::exception&) {
        return fail(ErrorCode::corrupt, "commit {} of {}: no snapshot number in '{}'", commit.id.substr(0, 12), name, subject);
    }
    facts.text = std::string(subject.substr(colon + 2));
    for (const auto line : std::views::split(message, '\n')) {
        const std::string_view text(line.begin(), line.end());
        if (text.starts_with("reason: "))
            facts.reason = std::string(text.substr(8));
        else if (text.starts_with("environment: "))
            facts.environment = std::string(text.substr(13));
    }
    if (facts.reason.empty() || facts.environment.empty() || !facts.environment.is_absolute())
        return fail(ErrorCode::corrupt, "commit {} of {}: its message names no reason or no absolute environment path",
                    commit.id.substr(0, 12), name);
    return facts;
}

// One environment's history, oldest first, recorded as rows.
Expected<long long> rebuild_environment(Store& store, const std::string& name, const std::string& tip)
{
    auto commits = ENVPIN_TRY(store.history().log(tip));
    std::ranges::reverse(commits);
    auto& metadata = store.metadata();
    // Where it lives now: the newest snapshot's path.
    const auto newest = ENVPIN_TRY(read_commit_facts(commits.back(), name));
    Environment environment{0, name, newest.environment, LinkMode::automatic, utc_time(commits.front().time_seconds), {}};
    environment.id = ENVPIN_TRY(metadata.insert_environment(environment));
    std::optional<long long> parent;
    for (const auto& commit : commits) {
        const auto facts = ENVPIN_TRY(read_commit_facts(commit, name));
        SnapshotInfo located;
        located.environment = name;
        located.seq = facts.seq;
        located.commit = commit.id;
        const auto manifest = ENVPIN_TRY(store.manifest(located));
        long long files = 0;
        long long bytes = 0;
        for (const auto& entry : manifest.entries)
            if (entry.kind == EntryKind::file) {
                ++files;
                bytes += entry.size;
            }
        const auto snapshot = ENVPIN_TRY(metadata.insert_snapshot(
            {environment.id, commit.id, parent, utc_time(commit.time_seconds), facts.reason,
             facts.text == facts.reason ? std::string() : facts.text, state_digest(manifest), files, bytes}));
        if (snapshot.seq != facts.seq)
            return fail(ErrorCode::corrupt, "the history of {} skips snapshots: commit {} is {}@{} but comes as @{}", name,
                        commit.id.substr(0, 12), name, facts.seq, snapshot.seq);
        ENVPIN_TRY(metadata.insert_distributions(snapshot.id, manifest.distributions));
        parent = snapshot.id;
    }
    ENVPIN_TRY(metadata.set_current_snapshot(environment.id, *parent));
    return static_cast<long long>(commits.size());
}

}  // namespace

Expected<RebuildReport> rebuild_database(Store& store)
{
    if (!store.writable())
        return fail(ErrorCode::internal, "rebuilding the database needs the store opened for writing");
    RebuildReport report;
    report.set_aside = store.database_set_aside();
    auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database()));
    for (const auto& [name, tip] : ENVPIN_TRY(store.history().branches())) {
        ENVPIN_TRY(check_environment_name(name));
        const auto count = ENVPIN_TRY_CTX(fmt::format("rebuilding {} from manifests.git", name),
                                          rebuild_environment(store, name, tip));
        report.environments.push_back(fmt::format("{} ({} snapshot{})", name, count, count == 1 ? "" : "s"));
        report.snapshots += count;
    }
    ENVPIN_TRY(transaction.commit());
    return report;
}

}  // namespace envpin::store
