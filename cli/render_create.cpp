#include "cli/render_create.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/json_out.hpp"
#include "cli/render_lock.hpp"
#include "cli/render_resolve.hpp"
#include "cli/render_store.hpp"

namespace envpin::cli {
namespace {

nlohmann::json optional_text(const std::optional<std::string>& text)
{
    return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
}

nlohmann::json stack_json(const std::optional<Lock>& lock)
{
    if (!lock)
        return nullptr;
    const auto& stack = lock->stack;
    return {{"torch", stack.torch},          {"variant", stack.variant}, {"cuda", optional_text(stack.cuda)},
            {"python", stack.python},        {"index_url", stack.index_url}, {"cudnn", optional_text(stack.cudnn)},
            {"nccl", optional_text(stack.nccl)}, {"triton", optional_text(stack.triton)}};
}

std::string stack_line(const store::CreateRequest& request)
{
    if (!request.stack)
        return "none (--torch none: no torch stack, only --with requirements)";
    const auto& stack = request.stack->stack;
    const auto source = !request.offline ? "from " + stack.index_url
                        : request.pypi_build
                            ? std::string("offline from the --find-links wheels (PyPI's unlabelled wheels of this "
                                          "release are this build)")
                            : std::string("offline from the --find-links wheels");
    return fmt::format("torch {} ({}{}) {}", stack.torch, stack.variant,
                       stack.cuda ? ", CUDA " + *stack.cuda : std::string(), source);
}

std::string installed_line(const std::vector<store::ResolvedArtifact>& installed)
{
    std::string names;
    for (const auto& artifact : installed)
        names += fmt::format("{}{} {}", names.empty() ? "" : ", ", artifact.name, artifact.version);
    return fmt::format("{} distribution{}{}{}", installed.size(), installed.size() == 1 ? "" : "s",
                       names.empty() ? "" : ": ", names);
}

}  // namespace

void render_conflict(const CreateInputs& inputs, bool json, bool explain, std::ostream& out)
{
    if (json)
        print_json(out, resolution_to_json(*inputs.conflict, inputs.host));
    else
        render_resolution(*inputs.conflict, inputs.resolved, inputs.host, explain ? Detail::explain : Detail::summary,
                          out);
}

void render_no_target(const std::vector<std::string>& mismatches, bool json, std::ostream& out)
{
    if (json) {
        print_json(out, nlohmann::json{{"status", "no-target"}, {"mismatches", mismatches}});
        return;
    }
    fmt::print(out, "create: {}\n  ({})\n", no_target_sentence(mismatches), no_target_hint);
}

void render_create(const CreateReport& report, std::ostream& out, std::ostream& err, bool quiet)
{
    const auto& request = *report.request;
    const auto& outcome = *report.outcome;
    if (!outcome.mismatches.empty()) {
        fmt::print(err, "envpin: create {}: the installed stack is not the one {}, so {} was removed:\n",
                   request.name, request.stack && !request.stack->installed.empty() ? "locked" : "resolved",
                   request.path.string());
        for (const auto& mismatch : outcome.mismatches)
            fmt::print(err, "  {}\n", mismatch.describe());
        fmt::print(err, "  (the index serves builds that pin other versions than the catalog says)\n");
        return;
    }
    if (quiet || !outcome.snapshot)
        return;
    const auto& snapshot = outcome.snapshot->snapshot;
    const auto& python = outcome.python_version.empty() ? request.python : outcome.python_version;
    fmt::print(out, "created {} at {} ({}, python {})\n", request.name, request.path.string(),
               store::to_string(request.installer), python.empty() ? "3" : python);
    fmt::print(out, "  stack      {}\n", stack_line(request));
    fmt::print(out, "  installed  {}{}\n", installed_line(outcome.installed),
               outcome.hashes_required ? " (the lock's artifacts, hashes required)" : "");
    if (request.stack)
        fmt::print(out, "  checked    the installed torch, companions and pins are the lock's\n");
    fmt::print(out, "  snapshot   {} ({}): {} files, {}, reason create\n", snapshot.label(),
               short_commit(snapshot.commit), snapshot.files, human_bytes(snapshot.bytes));
    if (report.lock_path && report.lock_write)
        fmt::print(out, "  lock       {} ({})\n", report.lock_path->string(), to_string(*report.lock_write));
}

nlohmann::json create_json(const CreateReport& report)
{
    const auto& request = *report.request;
    const auto& outcome = *report.outcome;
    auto installed = nlohmann::json::array();
    for (const auto& artifact : outcome.installed)
        installed.push_back({{"name", artifact.name}, {"version", artifact.version}, {"source", artifact.source},
                             {"sha256", artifact.sha256}});
    auto mismatches = nlohmann::json::array();
    for (const auto& mismatch : outcome.mismatches)
        mismatches.push_back({{"name", mismatch.name}, {"plan", mismatch.planned},
                              {"installed", mismatch.installed.empty() ? nlohmann::json(nullptr)
                                                                       : nlohmann::json(mismatch.installed)}});
    nlohmann::json lock = nullptr;
    if (report.lock_path)
        lock = {{"path", report.lock_path->string()},
                {"status", report.lock_write ? nlohmann::json(to_string(*report.lock_write)) : nlohmann::json()}};
    return {{"status", outcome.mismatches.empty() ? "created" : "mismatch"},
            {"environment", request.name},
            {"path", request.path.string()},
            {"installer", store::to_string(request.installer)},
            {"python", request.python.empty() ? nlohmann::json(nullptr) : nlohmann::json(request.python)},
            {"python_version", outcome.python_version},
            {"stack", stack_json(request.stack)},
            {"hashes_required", outcome.hashes_required},
            {"installed", installed},
            {"extras", request.extras},
            {"mismatches", mismatches},
            {"snapshot", outcome.snapshot ? to_json(outcome.snapshot->snapshot) : nlohmann::json(nullptr)},
            {"lock", lock},
            {"verify", report.verify ? verify::to_json(*report.verify) : nlohmann::json(nullptr)}};
}

}  // namespace envpin::cli
