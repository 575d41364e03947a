#include "store/lifecycle/reset_journal.hpp"

#include <nlohmann/json.hpp>

namespace envpin::store {

std::string staged_name(size_t step)
{
    return std::to_string(step);
}

std::string aside_name(size_t step)
{
    return std::to_string(step) + ".old";
}

std::string print_reset_journal(const ResetJournal& journal)
{
    auto ops = nlohmann::json::array();
    for (const auto& op : journal.ops) {
        nlohmann::json step = {{"step", to_string(op.step)}, {"path", op.path}};
        if (op.step == ResetStep::chmod) {
            step["old_mode"] = op.old_mode;
            step["new_mode"] = op.new_mode;
        }
        if (stages(op))
            step["inode"] = op.staged_inode;
        ops.push_back(std::move(step));
    }
    const nlohmann::json document = {{"format", 2},
                                     {"environment", journal.environment},
                                     {"staging", journal.staging},
                                     {"from", journal.from},
                                     {"target", journal.target},
                                     {"keep_old", journal.keep_old},
                                     {"kept", journal.kept},
                                     {"ops", ops}};
    return document.dump();
}

Expected<ResetJournal> parse_reset_journal(std::string_view text)
{
    const auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        return fail(ErrorCode::corrupt, "reset journal entry is not a JSON object");
    if (document.value("format", 0) != 2)
        return fail(ErrorCode::corrupt, "reset journal entry has another format (written by an older envpin)");
    try {
        ResetJournal journal;
        journal.environment = document.at("environment").get<std::string>();
        journal.staging = document.at("staging").get<std::string>();
        journal.from = document.at("from").get<long long>();
        journal.target = document.at("target").get<long long>();
        journal.keep_old = document.value("keep_old", false);
        journal.kept = document.value("kept", "");
        for (const auto& step : document.at("ops")) {
            ResetOp op;
            const auto kind = parse_reset_step(step.at("step").get<std::string>());
            if (!kind)
                return fail(ErrorCode::corrupt, "reset journal entry names an unknown step");
            op.step = *kind;
            op.path = step.at("path").get<std::string>();
            op.old_mode = step.value("old_mode", 0u);
            op.new_mode = step.value("new_mode", 0u);
            op.staged_inode = step.value("inode", 0ULL);
            journal.ops.push_back(std::move(op));
        }
        if (journal.environment.empty() || journal.staging.empty())
            return fail(ErrorCode::corrupt, "reset journal entry lacks its paths");
        return journal;
    } catch (const nlohmann::json::exception& error) {
        return fail(ErrorCode::corrupt, "reset journal entry: {}", error.what());
    }
}

}  // namespace envpin::store
