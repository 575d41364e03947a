// `envpin export requirements|pylock [--lock F] [--out FILE]`: the lock's environment in the
// formats other installers read. Both name every distribution's exact wheel with its sha256
// (from [[installed]], which `create` records): `requirements` as `name @ URL --hash=...` lines
// for pip and uv, `pylock` as a PEP 751 pylock.toml for uv (`uv pip install -r pylock.toml`).
#include "cli/command.hpp"
#include "resolver/pylock.hpp"
#include "sys/file.hpp"

namespace envpin::cli {
namespace {

struct ExportOptions {
    std::string format;
    std::string lock = "envpin.lock";
    std::string out;  // empty: stdout
};

Expected<ExitCode> run_export(const ExportOptions& options, Context& context)
{
    auto text = sys::read_file(options.lock);
    if (!text && text.error().code == ErrorCode::not_found)
        return fail(ErrorCode::bad_input, "--lock {}: no such file (`envpin lock` or `envpin create` writes one)",
                    options.lock);
    const auto lock = ENVPIN_TRY(parse_lock(ENVPIN_TRY(std::move(text)), options.lock));
    const auto exported = options.format == "pylock" ? print_pylock(ENVPIN_TRY(pylock_from_lock(lock, options.lock)))
                                                     : ENVPIN_TRY(requirements_from_lock(lock, options.lock));
    if (options.out.empty()) {
        context.out << exported;
        return ExitCode::ok;
    }
    ENVPIN_TRY_CTX("writing --out " + options.out, sys::write_file_atomic(options.out, exported));
    if (!context.global.quiet && !context.global.json)
        context.err << "envpin: wrote " << options.out << " (" << lock.installed.size() << " distributions)\n";
    return ExitCode::ok;
}

}  // namespace

void register_export(CLI::App& app, Context& context, CommandRun& selected)
{
    auto options = std::make_shared<ExportOptions>();
    auto* command = app.add_subcommand(
        "export", "Write the lock's environment for other installers: requirements.txt with hashes, or PEP 751 pylock.toml");
    command->add_option("format", options->format, "requirements | pylock")
        ->required()
        ->check(CLI::IsMember({"requirements", "pylock"}));
    command->add_option("--lock", options->lock, "The lock to export")->capture_default_str();
    command->add_option("-o,--out", options->out, "Write to FILE instead of stdout");
    command->callback([&context, &selected, options] {
        selected = [&context, options] { return run_export(*options, context); };
    });
}

}  // namespace envpin::cli
