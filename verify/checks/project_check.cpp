// The child side of a project check ([verify] checks in envpin.toml): the project's own
// command, run with the environment's interpreter as a grandchild of `envpin probe check`
// under the check's timeout, its output capped to the last bytes, judged by its exit status.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "sys/process.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/checks/registry.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

constexpr size_t kept_output_bytes = 64u << 10;  // per stream, the tail
constexpr size_t detail_lines = 20;              // of that tail, in the detail

bool executable(const fs::path& path)
{
    std::error_code ec;
    return ::access(path.c_str(), X_OK) == 0 && !fs::is_directory(path, ec);
}

// argv[0]: "python" is the environment's own; another bare name is looked up in its bin/
// first, then on PATH (which starts with that bin/ too).
std::string resolve_program(const fs::path& environment, const std::string& program)
{
    if (program.find('/') != std::string::npos)
        return program;
    for (const auto& name : program == "python" ? std::vector<std::string>{"python", "python3"}
                                                : std::vector<std::string>{program})
        if (executable(environment / "bin" / name))
            return (environment / "bin" / name).string();
    return program;
}

// The last `count` lines of `text`, without a trailing newline.
std::string last_lines(std::string_view text, size_t count)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.remove_suffix(1);
    size_t start = text.size();
    for (size_t seen = 0; start > 0; --start)
        if (text[start - 1] == '\n' && ++seen == count)
            break;
    return std::string(text.substr(start));
}

std::string quoted_command(const std::vector<std::string>& run)
{
    return "`" + join(run, " ") + "`";
}

void record_output(CheckResult& result, const sys::ProcessResult& run)
{
    result.measurements["stdout_tail"] = run.out;
    result.measurements["stderr_tail"] = run.err;
    result.measurements["output_truncated"] = run.out_truncated || run.err_truncated;
    if (run.exited())
        result.measurements["exit_code"] = run.exit_code;
}

// "; output (last lines): ...": stderr's tail, else stdout's.
std::string output_tail(const sys::ProcessResult& run)
{
    const auto& text = trim(run.err).empty() ? run.out : run.err;
    const auto tail = last_lines(text, detail_lines);
    if (trim(tail).empty())
        return "";
    return fmt::format("; {} (last lines{}):\n{}", &text == &run.err ? "stderr" : "stdout",
                       (&text == &run.err ? run.err_truncated : run.out_truncated) ? ", earlier output dropped" : "",
                       tail);
}

void judge(CheckResult& result, const std::vector<std::string>& command, const sys::ProcessResult& run)
{
    record_output(result, run);
    if (run.success()) {
        result.status = CheckStatus::pass;
        const auto last = last_lines(run.out, 1);
        result.detail = fmt::format("{} exited 0{}", quoted_command(command), last.empty() ? "" : ": " + last);
        return;
    }
    result.status = CheckStatus::fail;
    result.detail = fmt::format("{} {}{}{}", quoted_command(command), run.timed_out ? "was killed: " : "",
                                run.describe_status(), output_tail(run));
    result.hint = run.timed_out ? "The project's check did not finish within its timeout: raise `timeout` in "
                                  "[verify] checks if it needs longer, or find what it waits for."
                                : "The project's own check failed: its output above says why.";
}

}  // namespace

CheckResult run_project_check(const ProbeRequest& request)
{
    const Stopwatch clock;
    CheckResult result{.name = request.parameter(param::project_name).value_or("project"), .status = CheckStatus::error};
    const auto command = nlohmann::json::parse(request.parameter(param::project_run).value_or(""), nullptr, false);
    if (!command.is_array() || command.empty() ||
        !std::ranges::all_of(command, [](const nlohmann::json& item) { return item.is_string(); })) {
        result.detail = "the project check's command is not a list of strings";
        return result;
    }
    const auto run = command.get<std::vector<std::string>>();
    const auto bin = request.environment / "bin";
    sys::ProcessSpec spec;
    spec.argv = run;
    spec.argv.front() = resolve_program(request.environment, run.front());
    const char* path = std::getenv("PATH");
    spec.set_env = {{"VIRTUAL_ENV", request.environment.string()},
                    {"PATH", bin.string() + (path != nullptr && *path ? ":" + std::string(path) : "")}};
    spec.unset_env = {"PYTHONHOME"};
    if (const auto directory = request.parameter(param::project_directory); directory && !directory->empty())
        spec.cwd = *directory;
    spec.timeout = std::chrono::milliseconds(static_cast<long long>(request.number(param::project_timeout_ms, 120000)));
    spec.max_output_bytes = kept_output_bytes;
    spec.keep_tail = true;
    const auto outcome = sys::run_process(spec);
    if (!outcome) {
        result.status = CheckStatus::fail;
        result.detail = fmt::format("{} cannot start: {}", quoted_command(run), outcome.error().describe());
        result.hint = "Install the command in the environment, or fix `run` in [verify] checks (a leading \"python\" "
                      "is the environment's own; other commands are looked up in its bin/ first).";
    } else {
        judge(result, run, *outcome);
    }
    result.duration_ms = clock.elapsed_ms();
    return result;
}

}  // namespace envpin::verify
