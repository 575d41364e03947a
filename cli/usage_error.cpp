#include "cli/usage_error.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace envpin::cli {
namespace {

size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::vector<std::string> subcommand_names(const CLI::App& app)
{
    std::vector<std::string> names;
    for (const auto* command : app.get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(command->get_name());
    return names;
}

std::vector<std::string> long_option_names(const CLI::App& app)
{
    std::vector<std::string> names;
    for (const auto* option : app.get_options())
        for (const auto& name : option->get_lnames())
            names.push_back("--" + name);
    return names;
}

// The subcommand that was being parsed; nullptr when none was reached.
const CLI::App* selected_command(const CLI::App& app)
{
    for (const auto* command : app.get_subcommands([](const CLI::App*) { return true; }))
        if (command->parsed())
            return command;
    return nullptr;
}

// The first word that is neither an option nor the value of a global option.
std::string first_word(const std::vector<std::string>& arguments)
{
    for (size_t i = 0; i < arguments.size(); ++i) {
        if (arguments[i] == "--store" || arguments[i] == "--color") {
            ++i;
            continue;
        }
        if (!arguments[i].starts_with("-"))
            return arguments[i];
    }
    return {};
}

std::string with_suggestion(std::string message, const std::string& suggestion)
{
    return suggestion.empty() ? message : fmt::format("{} (did you mean '{}'?)", message, suggestion);
}

}  // namespace

std::string nearest_name(std::string_view word, const std::vector<std::string>& names)
{
    std::string best;
    size_t best_distance = 3;
    int prefixed = 0;
    std::string prefix_match;
    for (const auto& name : names) {
        if (name.starts_with(word) && !word.empty()) {
            ++prefixed;
            prefix_match = name;
        }
        const auto distance = edit_distance(word, name);
        if (distance < best_distance) {
            best_distance = distance;
            best = name;
        }
    }
    if (!best.empty())
        return best;
    return prefixed == 1 ? prefix_match : std::string();
}

std::string usage_message(const CLI::App& app, const CLI::ParseError& error, const std::vector<std::string>& arguments)
{
    const auto* command = selected_command(app);
    if (command == nullptr) {
        const auto word = first_word(arguments);
        if (word.empty())
            return "no command given (`envpin --help` lists them)";
        return with_suggestion(fmt::format("unknown command '{}'", word), nearest_name(word, subcommand_names(app))) +
               "; `envpin --help` lists the commands";
    }
    const auto usage = fmt::format("`envpin {} --help` shows its usage", command->get_name());
    auto names = long_option_names(*command);
    const auto globals = long_option_names(app);
    names.insert(names.end(), globals.begin(), globals.end());
    for (const auto& argument : arguments) {
        const auto option = argument.substr(0, argument.find('='));
        if (option.starts_with("--") && option.size() > 2 && std::ranges::find(names, option) == names.end())
            return with_suggestion(fmt::format("{}: unknown option {}", command->get_name(), option),
                                   nearest_name(option, names)) +
                   "; " + usage;
    }
    return fmt::format("{}: {}; {}", command->get_name(), error.what(), usage);
}

}  // namespace envpin::cli
