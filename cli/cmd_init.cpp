// `envpin init [DIR]`: write a commented envpin.toml for the project in DIR (default: here).
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "resolver/spec_file.hpp"
#include "sys/file.hpp"

namespace envpin::cli {
namespace {

struct InitOptions {
    std::string directory = ".";
    std::string name; // default: the directory's name
    bool force = false;
};

Expected<ExitCode> run_init(const InitOptions& options, Context& context)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto directory = fs::weakly_canonical(fs::absolute(options.directory), ec);
    if (ec || !fs::is_directory(directory))
        return fail(ErrorCode::not_found, "init: {} is not a directory", options.directory);
    const auto path = directory / "envpin.toml";
    if (fs::exists(path, ec) && !options.force)
        return fail(ErrorCode::already_exists, "{} already exists (--force replaces it)",
                    path.string());
    const auto name = options.name.empty() ? directory.filename().string() : options.name;
    ENVPIN_TRY(sys::write_file_atomic(path, init_spec_text(name.empty() ? "env" : name)));
    if (context.global.json)
        print_json(context.out, nlohmann::json{{"status", "written"}, {"path", path.string()}});
    else if (!context.global.quiet)
        context.out << "wrote " << path.string()
                    << "; `envpin resolve --explain` shows what it resolves to here\n";
    return ExitCode::ok;
}

} // namespace

void register_init(CLI::App& app, Context& context, CommandRun& selected)
{
    auto* command = app.add_subcommand("init", "Write a commented envpin.toml for a project");
    auto options = std::make_shared<InitOptions>();
    command->add_option("directory", options->directory, "Project directory")
        ->capture_default_str();
    command->add_option("--name", options->name,
                        "Environment name (default: the directory's name)");
    command->add_flag("--force", options->force, "Replace an existing envpin.toml");
    command->callback([&context, &selected, options] {
        selected = [&context, options] { return run_init(*options, context); };
    });
}

} // namespace envpin::cli
