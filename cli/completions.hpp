#pragma once
// Shell completion scripts for bash, zsh and fish, written from the command tree (the visible
// subcommands, their options and descriptions) so they can never fall behind it. Pure: the tree
// in, the script's text out. `envpin completions SHELL` prints one; the build installs all three.
#include <string>
#include <string_view>
#include <vector>

namespace envpin::cli {

struct CompletionOption {
    std::vector<std::string> long_names;   // without dashes: "torch"
    std::vector<std::string> short_names;  // "q"
    std::string description;
    bool takes_value = false;
};

struct CompletionCommand {
    std::string name;
    std::string description;
    std::vector<CompletionOption> options;
    std::vector<std::string> choices;  // values of its first positional argument, when fixed ("bash", "zsh")
};

struct CompletionTree {
    std::vector<CompletionOption> global;  // options of every command
    std::vector<CompletionCommand> commands;
};

// The script for `shell`: "bash", "zsh" or "fish".
[[nodiscard]] std::string completion_script(const CompletionTree& tree, std::string_view shell);

}  // namespace envpin::cli
