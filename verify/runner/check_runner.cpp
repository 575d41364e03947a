#include "verify/runner/check_runner.hpp"

#include "base/strings.hpp"
#include "sys/process.hpp"
#include "verify/runner/hints.hpp"

namespace envpin::verify {
namespace {

constexpr size_t excerpt_bytes = 1500;

// The end of a stream, where a crashing program says why.
std::string excerpt(std::string_view text)
{
    text = trim(text);
    if (text.size() > excerpt_bytes)
        text = text.substr(text.size() - excerpt_bytes);
    return std::string(text);
}

// The child prints its result as the last line that is a JSON object; libraries it loads
// (NCCL with NCCL_DEBUG, for one) may print their own lines before it.
std::optional<CheckResult> parse_result(std::string_view out)
{
    const auto lines = split(out, '\n');
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        const auto line = trim(*it);
        if (!line.starts_with('{'))
            continue;
        const auto document = nlohmann::json::parse(line, nullptr, false);
        if (document.is_discarded())
            continue;
        if (auto result = check_result_from_json(document))
            return *result;
    }
    return std::nullopt;
}

CheckResult outcome(const CheckChild& child, const sys::ProcessResult& run)
{
    const auto& name = child.request.check;
    CheckResult result{.name = name, .status = CheckStatus::fail};
    if (!run.exited()) {
        result.detail = "the probe " + run.describe_status();
        if (run.out_truncated)
            result.detail += fmt::format(", after flooding stdout (kept the first {} bytes)", child.max_output_bytes);
        if (const auto tail = excerpt(run.err); !tail.empty())
            result.detail += ": " + tail;
        result.hint = hint_for(result.detail);
        return result;
    }
    if (auto parsed = parse_result(run.out)) {
        if (parsed->name != name) {
            result.status = CheckStatus::error;
            result.detail = fmt::format("the probe answered for '{}' instead of '{}'", parsed->name, name);
            return result;
        }
        if (!parsed->measurements.is_object())  // the runner adds its own figures to it
            parsed->measurements = nlohmann::json{{"reported", parsed->measurements}};
        return *parsed;
    }
    result.status = CheckStatus::error;
    result.detail = fmt::format("the probe printed no check result ({}{})", run.describe_status(),
                                run.out_truncated ? ", stdout flooded" : "");
    if (const auto text = excerpt(run.err.empty() ? run.out : run.err); !text.empty())
        result.detail += ": " + text;
    result.hint = hint_for(result.detail);
    return result;
}

}  // namespace

CheckResult run_check_child(const CheckChild& child)
{
    sys::ProcessSpec spec;
    spec.argv = {child.envpin_executable.string(), "probe", "check"};
    spec.stdin_data = to_json(child.request).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    spec.timeout = child.timeout;
    spec.max_output_bytes = child.max_output_bytes;
    spec.on_started = child.on_started;
    const auto run = sys::run_process(spec);
    if (!run) {
        CheckResult result{.name = child.request.check, .status = CheckStatus::error};
        result.detail = "cannot start the probe: " + run.error().describe();
        return result;
    }
    auto result = outcome(child, *run);
    result.duration_ms = run->duration.count();
    return result;
}

}  // namespace envpin::verify
