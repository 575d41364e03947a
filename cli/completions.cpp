#include "cli/completions.hpp"

#include <fmt/format.h>

namespace envpin::cli {
namespace {

// The option's spellings with dashes: "--torch", "-q".
std::vector<std::string> spellings(const CompletionOption& option)
{
    std::vector<std::string> words;
    for (const auto& name : option.long_names)
        words.push_back("--" + name);
    for (const auto& name : option.short_names)
        words.push_back("-" + name);
    return words;
}

std::string words_of(const std::vector<CompletionOption>& options)
{
    std::string text;
    for (const auto& option : options)
        for (const auto& word : spellings(option))
            text += (text.empty() ? "" : " ") + word;
    return text;
}

std::string joined(const std::vector<std::string>& words)
{
    std::string text;
    for (const auto& word : words)
        text += (text.empty() ? "" : " ") + word;
    return text;
}

// A description inside single quotes: quotes and control characters dropped, one line.
std::string quoted(std::string_view text)
{
    std::string out = "'";
    for (const char c : text)
        if (c != '\'' && c != '\\' && static_cast<unsigned char>(c) >= 0x20)
            out += c;
    return out + "'";
}

std::string bash(const CompletionTree& tree)
{
    std::string cases;
    std::string names;
    for (const auto& command : tree.commands) {
        names += (names.empty() ? "" : " ") + command.name;
        cases += fmt::format("        {}) words=\"{}\" ;;\n", command.name,
                             joined(command.choices) + (command.choices.empty() ? "" : " ") + words_of(command.options));
    }
    return fmt::format(R"(# bash completion for envpin (generated from its command tree: `envpin completions bash`)
_envpin() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} command= word words
    for word in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
        case $word in -*) ;; *) command=$word; break ;; esac
    done
    case $command in
{}        *) words="{}" ;;
    esac
    if [[ -n $command && $cur != -* ]]; then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        [[ ${{#COMPREPLY[@]}} -gt 0 ]] || COMPREPLY=($(compgen -f -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -W "$words {}" -- "$cur"))
}}
complete -o default -F _envpin envpin
)",
                       cases, names, words_of(tree.global));
}

std::string zsh(const CompletionTree& tree)
{
    std::string commands;
    std::string cases;
    for (const auto& command : tree.commands) {
        std::string description = command.description;
        for (auto& c : description)
            if (c == ':')
                c = ',';
        commands += fmt::format("        {}\n", quoted(command.name + ":" + description));
        cases += fmt::format("        {}) options=({}) choices=({}) ;;\n", command.name, words_of(command.options),
                             joined(command.choices));
    }
    return fmt::format(R"(#compdef envpin
# zsh completion for envpin (generated from its command tree: `envpin completions zsh`)
_envpin() {{
    local -a commands options choices
    commands=(
{}    )
    if (( CURRENT == 2 )); then
        _describe 'command' commands
        return
    fi
    case $words[2] in
{}    esac
    if [[ $PREFIX == -* ]]; then
        compadd -- $options {}
    elif (( ${{#choices}} )); then
        compadd -- $choices
    else
        _files
    fi
}}
_envpin "$@"
)",
                       commands, cases, words_of(tree.global));
}

std::string fish_option(const CompletionOption& option, const std::string& condition)
{
    std::string line = "complete -c envpin" + condition;
    for (const auto& name : option.long_names)
        line += " -l " + name;
    for (const auto& name : option.short_names)
        line += " -s " + name;
    if (option.takes_value)
        line += " -r";
    return line + " -d " + quoted(option.description) + "\n";
}

std::string fish(const CompletionTree& tree)
{
    std::string text = "# fish completion for envpin (generated from its command tree: `envpin completions fish`)\n"
                       "complete -c envpin -f\n";
    for (const auto& option : tree.global)
        text += fish_option(option, "");
    for (const auto& command : tree.commands) {
        text += fmt::format("complete -c envpin -n __fish_use_subcommand -a {} -d {}\n", command.name,
                            quoted(command.description));
        const auto condition = fmt::format(" -n '__fish_seen_subcommand_from {}'", command.name);
        for (const auto& option : command.options)
            text += fish_option(option, condition);
        if (!command.choices.empty())
            text += fmt::format("complete -c envpin{} -a {}\n", condition, quoted(joined(command.choices)));
        else
            text += fmt::format("complete -c envpin{} -F\n", condition);
    }
    return text;
}

}  // namespace

std::string completion_script(const CompletionTree& tree, std::string_view shell)
{
    if (shell == "zsh")
        return zsh(tree);
    if (shell == "fish")
        return fish(tree);
    return bash(tree);
}

}  // namespace envpin::cli
