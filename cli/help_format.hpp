#pragma once
// How `--help` shows an option's value: a name for what it takes (`--store DIR`, `--torch
// TORCH`, `format FORMAT:{requirements,pylock,dockerfile}`) instead of CLI11's type (`TEXT`),
// and its default (`--cuda CUDA=auto`). Set on the root app before any option is added;
// subcommands inherit it.
#include <memory>

#include <CLI/CLI.hpp>

namespace envpin::cli {

class HelpFormatter : public CLI::Formatter {
public:
    std::string make_option_opts(const CLI::Option* option) const override;
};

// Installs the formatter and makes every option added afterwards capture its default.
void use_help_format(CLI::App& app);

}  // namespace envpin::cli
