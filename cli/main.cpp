// envpin's entry point: parses the command line, runs the chosen subcommand, and is the only
// place that prints errors and picks the exit code.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"

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
    register_log,
    register_diff,
    register_fsck,
    register_gc,
    register_reset,
    register_clone,
    register_recover,
};

void add_global_options(CLI::App& app, GlobalOptions& global)
{
    app.add_option("--store", global.store, "Store directory (default: $ENVPIN_HOME or ~/.local/share/envpin)");
    app.add_flag("--json", global.json, "Machine-readable output on stdout");
    app.add_flag("-q,--quiet", global.quiet, "Print only errors");
    app.add_flag("-v,--verbose", global.verbose, "More detail (repeatable)");
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
        context.out << body.dump(2) << '\n';
    }
    context.err << "envpin: error: " << error.describe() << '\n';
    return static_cast<int>(code);
}

int run(int argc, char** argv)
{
    Context context{{}, std::cout, std::cerr};
    CLI::App app{"envpin: resolve, lock, snapshot, verify and reset GPU machine-learning environments"};
    app.fallthrough();  // global options are accepted after the subcommand too
    app.require_subcommand(1);
    app.set_version_flag("--version", "envpin 0.1.0");
    add_global_options(app, context.global);
    CommandRun selected;
    for (const auto registrar : registrars)
        registrar(app, context, selected);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int status = app.exit(error);  // prints help, version or the usage error
        return status == 0 ? 0 : static_cast<int>(ExitCode::usage);
    }
    if (!selected)
        return static_cast<int>(ExitCode::usage);
    auto result = selected();
    context.out.flush();
    if (!result)
        return report_error(context, result.error());
    return static_cast<int>(*result);
}

}  // namespace
}  // namespace envpin::cli

int main(int argc, char** argv)
{
    return envpin::cli::run(argc, argv);
}
