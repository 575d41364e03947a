// `envpin create NAME`: resolve (or read the lock), make the environment, install the stack,
// check it against the resolution, record the first snapshot, write envpin.lock; --verify
// proves that snapshot. Exit 1 on a conflict, a stack that is not the lock's, or a failed check.
#include <unistd.h>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/create_inputs.hpp"
#include "cli/render_create.hpp"
#include "cli/render_store.hpp"
#include "cli/render_verify.hpp"
#include "cli/verify_run.hpp"
#include "sys/file.hpp"

namespace envpin::cli {
namespace {

// The bytes of `path` when it is a file; nullopt when there is none.
std::optional<std::string> previous_text(const std::filesystem::path& path)
{
    auto text = sys::read_file(path);
    return text ? std::optional(std::move(*text)) : std::nullopt;
}

// Puts the lock back as it was before create wrote it (`before`: its bytes; nullopt: no file).
Expected<void> restore_lock(const std::filesystem::path& path, const std::optional<std::string>& before)
{
    if (before)
        return sys::write_file_atomic(path, *before);
    std::error_code ec;
    if (!std::filesystem::remove(path, ec) && ec)
        return fail(ErrorCode::io, "cannot remove {}: {}", path.string(), ec.message());
    return {};
}

// `error`, with what could not be put back added.
Error put_back(const std::filesystem::path& path, const std::optional<std::string>& before, Error error)
{
    if (const auto restored = restore_lock(path, before); !restored)
        error.message += fmt::format("; putting back {} failed too: {}", path.string(), restored.error().describe());
    return error;
}

Expected<ExitCode> run_create(Context& context, const CreateFlags& flags)
{
    auto inputs = ENVPIN_TRY(create_inputs(flags));
    if (inputs.conflict) {
        render_conflict(inputs, context.global.json, flags.explain, context.out);
        return ExitCode::no;
    }
    if (!inputs.no_target.empty()) {
        render_no_target(inputs.no_target, context.global.json, context.out);
        return ExitCode::no;
    }
    if (!context.global.quiet && !context.global.json && ::isatty(STDERR_FILENO)) {
        inputs.request.on_step = [&context](std::string_view step) { context.err << "envpin: " << step << "...\n"; };
        inputs.request.installer_progress = true;  // a multi-GB install shows what it does
    }
    inputs.request.progress = progress_line(context);
    // The lock is written just before the environment is recorded, and put back when the
    // recording fails: a create leaves its environment recorded and its lock written, or neither.
    std::optional<LockWrite> lock_write;
    std::optional<std::string> lock_before;  // the lock file's bytes before (nullopt: no file)
    if (inputs.lock)
        inputs.request.before_record = [&](const store::CreateOutcome& made) -> Expected<void> {
            lock_before = previous_text(inputs.lock->path);
            lock_write = ENVPIN_TRY(write_create_lock(*inputs.lock, *inputs.request.stack, made.installed));
            return {};
        };
    const auto outcome = store::create_environment(store_options(context, store::Access::write, flags.wait),
                                                   inputs.request);
    finish_progress(context);
    if (!outcome) {
        if (lock_write == LockWrite::written)
            return std::unexpected(put_back(inputs.lock->path, lock_before, outcome.error()));
        return std::unexpected(outcome.error());
    }
    CreateReport report{&inputs.request, &*outcome, std::nullopt, std::nullopt, std::nullopt};
    if (inputs.lock) {
        report.lock_path = inputs.lock->path;
        report.lock_write = lock_write;
    }
    if (!context.global.json)
        render_create(report, context.out, context.err, context.global.quiet);
    if (flags.verify && outcome->mismatches.empty()) {
        report.verify = ENVPIN_TRY(run_verify(VerifyOptions{.name = inputs.request.name}, context));
        if (!context.global.json && !context.global.quiet)
            render_verify_summary(*report.verify, context.out, context.color_enabled());
    }
    if (context.global.json)
        print_json(context.out, create_json(report));
    const bool passed = outcome->mismatches.empty() && (!report.verify || report.verify->passed);
    return passed ? ExitCode::ok : ExitCode::no;
}

}  // namespace

void register_create(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<CreateFlags>();
    auto* command = app.add_subcommand("create", "Make an environment: resolve or read the lock, install, check, snapshot");
    command->add_option("name", flags->name, "Name in the store (default with --spec: the spec's)");
    command->add_option("--path", flags->path, "Where to make it (default: .venv-NAME; with --spec the spec's path)");
    command->add_option("--torch", flags->request.torch, "torch version or specifier, or none (no torch stack)");
    command->add_option("--cuda", flags->request.cuda, "auto, cpu, a CUDA release (12.8), cu128 or a specifier");
    command->add_option("--python", flags->request.python, "Python version (3.12) or specifier");
    command->add_option("--spec", flags->spec, "Resolve this envpin.toml instead (as `envpin lock` does)");
    command->add_option("--from-lock", flags->from_lock, "Install the stack this envpin.lock pins");
    command->add_option("--target", flags->target, "The lock's target to install (default: the first this host fits)");
    command->add_option("--lock", flags->lock, "Lock file to write (default: beside --spec/--from-lock, else ./envpin.lock)");
    command->add_option("--with", flags->with, "Extra requirement, installed with the stack held fixed (repeatable)");
    command->add_option("--installer", flags->installer, "auto (uv when on PATH, else pip), uv or pip");
    command->add_option("--find-links", flags->find_links, "Directory of wheels to install from (repeatable)");
    command->add_flag("--offline", flags->offline, "No index: every package from --find-links");
    command->add_option("--index-url", flags->index_url, "Index for --with requirements (never for the torch stack)")
        ->capture_default_str();
    command->add_option("--link-mode", flags->link_mode, "How files enter the store")
        ->check(CLI::IsMember({"auto", "hardlink", "reflink", "copy"}));
    command->add_option("--catalog", flags->catalog, "Catalog file to use instead of the built-in one");
    command->add_flag("--verify", flags->verify, "Run the verify suite on the new snapshot and record it");
    command->add_flag("--explain", flags->explain, "When no build works, list every candidate and why");
    command->add_option("--wait", flags->wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] {
            flags->store = context.global.store;
            return run_create(context, *flags);
        };
    });
}

}  // namespace envpin::cli
