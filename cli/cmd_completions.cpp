// `envpin completions bash|zsh|fish`: the shell completion script for envpin's command tree, as
// the build installs it (share/bash-completion, share/zsh/site-functions, share/fish).
#include <algorithm>

#include "cli/command.hpp"
#include "cli/completions.hpp"

namespace envpin::cli {
namespace {

CompletionOption option_of(const CLI::Option& option)
{
    return {option.get_lnames(), option.get_snames(), option.get_description(), option.get_type_size() != 0};
}

// The values a positional argument takes when its description lists them ("bash | zsh | fish").
std::vector<std::string> choices_of(const CLI::App& command)
{
    for (const auto* option : command.get_options()) {
        if (!option->get_positional())
            continue;
        const auto& text = option->get_description();
        if (text.find(" | ") == std::string::npos)
            return {};
        std::vector<std::string> choices;
        size_t start = 0;
        while (start <= text.size()) {
            const auto end = std::min(text.find(" | ", start), text.size());
            choices.push_back(text.substr(start, end - start));
            start = end + 3;
        }
        return choices;
    }
    return {};
}

// The visible commands (a hidden one has an empty group) and their named options.
CompletionTree tree_of(const CLI::App& app)
{
    CompletionTree tree;
    for (const auto* option : app.get_options())
        if (option->nonpositional())
            tree.global.push_back(option_of(*option));
    for (const auto* command : app.get_subcommands({})) {
        if (command->get_group().empty())
            continue;
        CompletionCommand entry{command->get_name(), command->get_description(), {}, {}};
        for (const auto* option : command->get_options())
            if (option->nonpositional() && option->get_lnames() != std::vector<std::string>{"help"})
                entry.options.push_back(option_of(*option));
        entry.choices = choices_of(*command);
        tree.commands.push_back(std::move(entry));
    }
    return tree;
}

}  // namespace

void register_completions(CLI::App& app, Context& context, CommandRun& selected)
{
    auto shell = std::make_shared<std::string>();
    auto* command = app.add_subcommand("completions", "Print the shell completion script for bash, zsh or fish");
    command->add_option("shell", *shell, "bash | zsh | fish")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
    command->callback([&app, &context, &selected, shell] {
        selected = [&app, &context, shell]() -> Expected<ExitCode> {
            context.out << completion_script(tree_of(app), *shell);
            return ExitCode::ok;
        };
    });
}

}  // namespace envpin::cli
