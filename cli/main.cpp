// envpin's entry point: parses the command line, runs the chosen subcommand, and is the only
// place that prints errors and picks the exit code.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <new>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/settings.hpp"
#include "base/trace.hpp"
#include "cli/command.hpp"
#include "cli/help_format.hpp"
#include "cli/json_out.hpp"
#include "cli/usage_error.hpp"
#include "resolver/catalog.hpp"
#include "store/core/link_mode.hpp"
#include "store/lifecycle/detach.hpp"
#include "verify/runner/report.hpp"

namespace envpin::cli {

bool Context::color_enabled() const
{
    if (global.color == "always")
        return true;
    if (global.color == "never" || std::getenv("NO_COLOR") != nullptr)
        return false;
    const char* term = std::getenv("TERM");
    return ::isatty(STDOUT_FILENO) && term != nullptr && std::string_view(term) != "dumb";
}

namespace {

constexpr Registrar registrars[] = {
    register_host,
    register_probe,
    register_resolve,
    register_lock,
    register_init,
    register_verify,
    register_create,
    register_adopt,
    register_snapshot,
    register_status,
    register_list,
    register_forget,
    register_prune,
    register_log,
    register_diff,
    register_fsck,
    register_gc,
    register_reset,
    register_clone,
    register_recover,
    register_gate,
    register_export,
    register_catalog,
    register_completions,
};

void add_global_options(CLI::App& app, GlobalOptions& global)
{
    app.add_option("--store", global.store, "Store directory (default: $ENVPIN_HOME or ~/.local/share/envpin)");
    app.add_flag("--json", global.json, "Machine-readable output on stdout");
    app.add_flag("-q,--quiet", global.quiet, "Print only errors");
    app.add_flag("-v,--verbose", global.verbose, "Each phase and its time on stderr (as ENVPIN_TRACE=1)");
    app.add_option("--color", global.color, "Colored output")
        ->check(CLI::IsMember({"auto", "always", "never"}));
}

int report_error(const Context& context, const Error& error)
{
    const auto code = exit_code_for(error.code);
    if (context.global.json) {
        nlohmann::json body = {{"error", {{"code", std::string(to_string(error.code))},
                                          {"message", error.describe()},
                                          {"exit_code", static_cast<int>(code)}}}};
        print_json(context.out, body);
    }
    context.err << "envpin: error: " << error.describe() << '\n';
    return static_cast<int>(code);
}

// The settings read from the environment (docs/CLI.md, "Environment"), checked before any
// command runs: a bad value is refused up front, not taken for the default by a background copy.
Expected<void> check_settings()
{
    for (const auto* setting : {&store::copy_below_setting, &store::detach_threads_setting})
        ENVPIN_TRY(read_setting(*setting));
    return {};
}

// Library functions return errors as values; what still throws (a std::filesystem call on a
// path that vanished, an allocation that fails) becomes an Error here, with the same prefix
// and exit code as any other, instead of std::terminate.
Expected<ExitCode> run_guarded(const CommandRun& selected)
{
    try {
        return selected();
    } catch (const std::filesystem::filesystem_error& error) {
        auto paths = error.path1().string();
        if (!error.path2().empty())
            paths += ", " + error.path2().string();
        return fail(ErrorCode::io, "{}{}", error.code().message(), paths.empty() ? "" : " (" + paths + ")");
    } catch (const std::bad_alloc&) {
        return fail(ErrorCode::io, "out of memory");
    } catch (const std::exception& error) {
        return fail(ErrorCode::internal, "unexpected failure: {}", error.what());
    }
}

// "envpin 0.2.0 (catalog 2026-08-21, verify suite 1)": what a bug report needs to name.
std::string version_text()
{
    const auto catalog = default_catalog();
    return fmt::format("envpin {} (catalog {}, verify suite {})", ENVPIN_VERSION,
                       catalog ? catalog->revision : std::string("unreadable"), verify::suite_version);
}

int run(int argc, char** argv)
{
    Context context{{}, std::cout, std::cerr};
    CLI::App app{"envpin: resolve, lock, snapshot, verify and reset GPU machine-learning environments"};
    app.fallthrough();  // global options are accepted after the subcommand too
    app.require_subcommand(1);
    app.set_version_flag("--version", version_text);  // the catalog is parsed only when asked
    use_help_format(app);
    add_global_options(app, context.global);
    CommandRun selected;
    for (const auto registrar : registrars)
        registrar(app, context, selected);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0)
            return app.exit(error);  // --help, --version
        const std::vector<std::string> arguments(argv + 1, argv + argc);
        context.global.json = std::ranges::find(arguments, "--json") != arguments.end();
        return report_error(context, Error{ErrorCode::bad_input, usage_message(app, error, arguments)});
    }
    if (!selected)
        return static_cast<int>(ExitCode::usage);
    if (context.global.verbose > 0)
        enable_tracing();  // -v: each phase and its time on stderr
    if (auto checked = check_settings(); !checked)
        return report_error(context, checked.error());
    auto result = run_guarded(selected);
    context.out.flush();
    if (!result)
        return report_error(context, result.error());
    return static_cast<int>(*result);
}

}  // namespace
}  // namespace envpin::cli

int main(int argc, char** argv)
{
    // The whole command, from main() to its return (destructors included): set against the
    // wall time, what is left is the loader and the process's exit.
    const envpin::TraceSpan span("main");
    return envpin::cli::run(argc, argv);
}
