// `envpin lock`: resolve envpin.toml for each of its targets (without targets, for this host)
// and pin the answers in envpin.lock beside it: the torch stack, then (with uv) every
// distribution the environment will hold, each with the wheel and sha256 `create --from-lock`
// will require. `--check` only says whether the lock still satisfies envpin.toml (exit 1 when
// stale or missing), with the same answer on any machine: targets are resolved for their own
// facts, and a lock without targets for the host it records. It reads no index.
#include <fmt/format.h>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_lock.hpp"
#include "cli/render_resolve.hpp"
#include "cli/resolve_inputs.hpp"
#include "resolver/lock_update.hpp"
#include "store/lifecycle/create.hpp"
#include "sys/file.hpp"

namespace envpin::cli {
namespace {

struct LockOptions {
    ResolveInputs inputs;
    std::string spec;  // empty: envpin.toml here, else pyproject.toml's [tool.envpin]
    bool check = false;
    bool stack_only = false;                // pin the torch stack alone: no installer, no index
    std::string index_url = std::string(k_pypi_index);  // for the names the variant's index lacks
    std::vector<std::string> find_links;
    bool offline = false;
};

// The environment's distributions, resolved by uv for the lock (its [[installed]] entries).
// Without uv the lock pins the stack alone, and says so.
Expected<void> pin_environment(const LockOptions& options, const Spec& spec, Lock& lock, Context& context)
{
    const auto installer = store::choose_installer("auto");
    if (!installer || *installer != store::InstallerKind::uv) {
        if (!context.global.quiet && !context.global.json)
            context.err << "envpin: uv is not on PATH: envpin.lock pins the torch stack alone (pip cannot resolve "
                       "without installing; `envpin create` records the rest)\n";
        return {};
    }
    const auto what = lock.target ? fmt::format("pinning every distribution of target {} (--stack-only pins the torch "
                                                "stack alone, without an index)",
                                                lock.target->name)
                                  : std::string("pinning every distribution of the environment (--stack-only pins the "
                                                "torch stack alone, without an index)");
    store::CreateRequest request;
    request.stack = lock;
    request.extras = spec.requirements;
    request.installer = *installer;
    request.extras_index = options.index_url;
    for (const auto& directory : options.find_links)
        request.find_links.push_back(std::filesystem::absolute(directory));
    request.offline = options.offline;
    const auto artifacts = ENVPIN_TRY_CTX(what, store::resolve_environment(request));
    for (const auto& artifact : artifacts)
        lock.installed.push_back({artifact.name, artifact.version, artifact.source, artifact.sha256});
    return {};
}

// The lock on disk: nullopt when absent; a malformed one fails (exit 2) only under --check,
// since `envpin lock` replaces it anyway.
Expected<std::optional<LockFile>> existing_lock(const std::filesystem::path& path, bool check, std::string& text)
{
    auto read = sys::read_file(path);
    if (!read && read.error().code == ErrorCode::not_found)
        return std::nullopt;
    text = ENVPIN_TRY(std::move(read));
    auto lock = parse_lock_file(text, path.string());
    if (!lock && check)
        return std::unexpected(lock.error());
    return lock ? std::optional(std::move(*lock)) : std::nullopt;
}

// The facts a spec without targets is resolved for: --driver/--gpu when given; under --check
// the host the lock records, so that the answer is the same on any machine; else this host's.
Expected<HostFacts> untargeted_host(const LockOptions& options, const Catalog& catalog,
                                    const std::optional<LockFile>& existing)
{
    const bool described = !options.inputs.driver.empty() || !options.inputs.gpus.empty();
    if (options.check && existing && !described)
        if (auto recorded = recorded_host(*existing))
            return std::move(*recorded);
    return host_facts(catalog, options.inputs);
}

ExitCode render_conflict(const TargetResolution& conflict, Context& context)
{
    if (context.global.json) {
        auto json = resolution_to_json(conflict.resolution, conflict.facts);
        if (conflict.target)
            json["target"] = conflict.target->name;
        print_json(context.out, json);
    } else {
        if (conflict.target)
            context.out << "target " << conflict.target->name << ":\n";
        render_resolution(conflict.resolution, conflict.request, conflict.facts, Detail::summary, context.out);
    }
    return ExitCode::no;
}

Expected<ExitCode> run_lock(const LockOptions& given, Context& context)
{
    auto options = given;
    for (const auto& directory : options.find_links) {  // checked before anything is read
        std::error_code ec;
        if (!std::filesystem::is_directory(directory, ec))
            return fail(ErrorCode::bad_input, "--find-links {}: not a directory of wheels", directory);
    }
    if (options.spec.empty())
        options.spec = project_spec(".").lexically_relative(".").string();
    const auto catalog = ENVPIN_TRY(load_catalog(options.inputs));
    const auto spec_text =
        ENVPIN_TRY_CTX("reading the spec (`envpin init` writes one)", sys::read_file(options.spec));
    const auto spec = ENVPIN_TRY(parse_spec(spec_text, options.spec));
    const auto path = std::filesystem::path(options.spec).parent_path() / "envpin.lock";
    std::string old_text;
    const auto existing = ENVPIN_TRY(existing_lock(path, options.check, old_text));
    const auto host = spec.targets.empty() ? ENVPIN_TRY(untargeted_host(options, catalog, existing)) : HostFacts{};
    auto update = ENVPIN_TRY(update_lock(catalog, spec, host, existing, options.spec));
    if (const auto* conflict = update.conflict())
        return render_conflict(*conflict, context);
    for (auto& section : update.lock->sections) {
        if (options.stack_only && !options.check)
            section.installed.clear();  // the stack alone, as asked
        else if (!options.check && section.installed.empty())
            ENVPIN_TRY(pin_environment(options, spec, section, context));
    }
    LockReport report{LockStatus::current, path, &*update.lock, update.differences};
    const auto text = print_lock_file(*update.lock);
    if (options.check)
        report.status = !existing                    ? LockStatus::missing
                        : update.differences.empty() ? LockStatus::current
                                                     : LockStatus::stale;
    else if (text == old_text)
        report.status = LockStatus::unchanged;
    else {
        ENVPIN_TRY(sys::write_file_atomic(path, text));
        report.status = LockStatus::written;
    }
    if (context.global.json)
        print_json(context.out, lock_report_to_json(report));
    else
        render_lock_report(report, context.out);
    const bool stale = report.status == LockStatus::stale || report.status == LockStatus::missing;
    return stale ? ExitCode::no : ExitCode::ok;
}

} // namespace

void register_lock(CLI::App& app, Context& context, CommandRun& selected)
{
    auto* command = app.add_subcommand(
        "lock", "Resolve envpin.toml for its targets (or this host) and write envpin.lock beside it");
    auto options = std::make_shared<LockOptions>();
    command->add_option("--spec", options->spec,
                        "The spec file (default: envpin.toml, else pyproject.toml with [tool.envpin])");
    command->add_flag("--check", options->check,
                      "Only check that envpin.lock still satisfies envpin.toml (exit 1 if not); same answer on any machine");
    command->add_flag("--stack-only", options->stack_only,
                      "Pin the torch stack alone (no installer run, no index read)");
    command->add_option("--index-url", options->index_url,
                        "Index for the distributions the variant's index does not carry")
        ->capture_default_str();
    command->add_option("--find-links", options->find_links, "Also take wheels from DIR (repeatable)");
    command->add_flag("--offline", options->offline, "No index: the --find-links wheels only");
    add_resolve_inputs(*command, options->inputs);
    command->callback([&context, &selected, options] {
        selected = [&context, options] {
            options->inputs.store = context.global.store;
            return run_lock(*options, context);
        };
    });
}

} // namespace envpin::cli
