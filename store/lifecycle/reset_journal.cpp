#include "store/lifecycle/reset_journal.hpp"

#include <nlohmann/json.hpp>

namespace envpin::store {

std::string print_reset_journal(const ResetJournal& journal)
{
    nlohmann::json document = {{"environment", journal.environment}, {"staging", journal.staging},
                               {"aside", journal.aside},           {"old_tree", journal.old_tree},
                               {"from", journal.from},             {"target", journal.target},
                               {"keep_old", journal.keep_old},     {"kept", journal.kept},
                               {"swapped_ns", journal.swapped_ns}};
    document["staging_inode"] = journal.staging_inode ? nlohmann::json(*journal.staging_inode) : nlohmann::json();
    return document.dump();
}

Expected<ResetJournal> parse_reset_journal(std::string_view text)
{
    const auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        return fail(ErrorCode::corrupt, "reset journal entry is not a JSON object");
    try {
        ResetJournal journal;
        journal.environment = document.at("environment").get<std::string>();
        journal.staging = document.at("staging").get<std::string>();
        journal.aside = document.at("aside").get<std::string>();
        journal.old_tree = document.value("old_tree", "");
        journal.from = document.at("from").get<long long>();
        journal.target = document.at("target").get<long long>();
        journal.keep_old = document.value("keep_old", false);
        journal.kept = document.value("kept", "");
        journal.swapped_ns = document.value("swapped_ns", 0LL);
        if (const auto it = document.find("staging_inode"); it != document.end() && !it->is_null())
            journal.staging_inode = it->get<unsigned long long>();
        if (journal.environment.empty() || journal.staging.empty() || journal.aside.empty())
            return fail(ErrorCode::corrupt, "reset journal entry lacks its paths");
        return journal;
    } catch (const nlohmann::json::exception& error) {
        return fail(ErrorCode::corrupt, "reset journal entry: {}", error.what());
    }
}

}  // namespace envpin::store
