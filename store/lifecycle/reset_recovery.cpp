// Finishing or taking back resets that a crash interrupted, and the last step of every reset.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/trace.hpp"
#include "store/lifecycle/reset.hpp"
#include "store/lifecycle/reset_apply.hpp"
#include "store/lifecycle/reset_journal.hpp"
#include "store/lifecycle/tree_builder.hpp"
#include "store/core/store_lock.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace {

// The "staging" path of a journal payload of any format ("" when it has none).
std::string staging_of_any_format(std::string_view payload)
{
    const auto document = nlohmann::json::parse(payload, nullptr, false);
    if (!document.is_object() || !document.contains("staging") || !document["staging"].is_string())
        return {};
    return document["staging"].get<std::string>();
}

// A reset that never recorded its switch: every applied step is taken back, the staged entries
// removed. The environment is exactly its old tree again.
Expected<void> take_back(Store& store, const JournalEntry& entry, const ResetJournal& journal, unsigned threads)
{
    struct ::stat info{};
    if (::lstat(journal.staging.c_str(), &info) != 0)  // killed before its directory was made
        return store.metadata().end_journal(entry.id);
    ENVPIN_TRY(undo_steps(journal));
    ENVPIN_TRY(remove_tree(journal.staging, threads));
    return store.metadata().end_journal(entry.id);
}

// A journal this envpin cannot read (another format): nothing on disk is deleted; its staging
// directory is set aside under a name that says so, and the entry closed.
Expected<void> set_aside(Store& store, const JournalEntry& entry)
{
    const auto document = staging_of_any_format(entry.payload);
    if (!document.empty()) {
        struct ::stat info{};
        if (::lstat(document.c_str(), &info) == 0) {
            const auto aside = document + ".envpin-unfinished";
            if (::rename(document.c_str(), aside.c_str()) != 0)
                return fail(ErrorCode::io, "cannot set {} aside: {}", document, sys::errno_text(errno));
            trace_note(fmt::format("an unfinished reset of another envpin version left {}; kept as {}", document, aside));
        }
    }
    return store.metadata().end_journal(entry.id);
}

Expected<void> recover_one(Store& store, const JournalEntry& entry, unsigned threads)
{
    auto journal = parse_reset_journal(entry.payload);
    if (!journal)
        return set_aside(store, entry);
    if (entry.state == reset_building || entry.state == reset_built)
        return take_back(store, entry, *journal, threads);
    return finish_reset_journal(store, entry.id, *journal, threads);
}

}  // namespace

Expected<void> finish_reset_journal(Store& store, long long journal_id, const ResetJournal& journal, unsigned threads)
{
    ENVPIN_TRY_CTX("disposing of the entries the reset replaced", dispose_old_entries(journal, threads));
    return store.metadata().end_journal(journal_id);
}

Expected<std::optional<ResetUnderway>> reset_underway(Store& store, const Environment& environment)
{
    for (const auto& entry : ENVPIN_TRY(store.metadata().open_journals())) {
        if (entry.environment_id != environment.id || entry.operation != "reset" || entry.state == reset_swapped)
            continue;
        ResetUnderway underway;
        if (const auto journal = parse_reset_journal(entry.payload))
            if (const auto target = ENVPIN_TRY(store.metadata().snapshot(journal->target)))
                underway.target = target->label();
        // Free lock: nobody is working on it. Taken and dropped at once: a writer that starts
        // meanwhile waits a moment, as for any other writer.
        underway.running = !ENVPIN_TRY(StoreLock::try_acquire(store.root() / "lock")).has_value();
        return std::optional<ResetUnderway>(std::move(underway));
    }
    return std::optional<ResetUnderway>();
}

Expected<void> recover_resets(Store& store)
{
    for (const auto& entry : ENVPIN_TRY(store.metadata().open_journals()))
        if (entry.operation == "reset")
            ENVPIN_TRY_CTX(fmt::format("finishing an interrupted reset (journal {})", entry.id),
                           recover_one(store, entry, 0));
    return {};
}

}  // namespace envpin::store
