#pragma once
// What every subcommand adapter shares: the global options, the output streams, and the
// contract for registering itself with CLI11.
#include <functional>
#include <iosfwd>
#include <string>

#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "cli/exit_code.hpp"

namespace envpin::cli {

struct GlobalOptions {
    std::string store;     // --store DIR; empty: $ENVPIN_HOME or the XDG default
    bool json = false;     // machine output on stdout, nothing else
    bool quiet = false;
    int verbose = 0;
    std::string color = "auto";  // auto | always | never
};

struct Context {
    GlobalOptions global;
    std::ostream& out;
    std::ostream& err;
    [[nodiscard]] bool color_enabled() const;  // --color, NO_COLOR, whether stdout is a TTY
};

// A parsed command, run by main after CLI11 has finished parsing.
using CommandRun = std::function<Expected<ExitCode>()>;

// Each cmd_*.cpp defines one of these: it adds its subcommand to `app` and, in the
// subcommand's callback, stores the work to do in `selected`.
using Registrar = void (*)(CLI::App& app, Context& context, CommandRun& selected);

void register_host(CLI::App&, Context&, CommandRun&);
void register_probe(CLI::App&, Context&, CommandRun&);
void register_resolve(CLI::App&, Context&, CommandRun&);
void register_lock(CLI::App&, Context&, CommandRun&);
void register_init(CLI::App&, Context&, CommandRun&);
void register_verify(CLI::App&, Context&, CommandRun&);
void register_create(CLI::App&, Context&, CommandRun&);
void register_adopt(CLI::App&, Context&, CommandRun&);
void register_snapshot(CLI::App&, Context&, CommandRun&);
void register_status(CLI::App&, Context&, CommandRun&);
void register_log(CLI::App&, Context&, CommandRun&);
void register_diff(CLI::App&, Context&, CommandRun&);
void register_fsck(CLI::App&, Context&, CommandRun&);
void register_gc(CLI::App&, Context&, CommandRun&);
void register_reset(CLI::App&, Context&, CommandRun&);
void register_recover(CLI::App&, Context&, CommandRun&);
void register_clone(CLI::App&, Context&, CommandRun&);
void register_gate(CLI::App&, Context&, CommandRun&);
void register_export(CLI::App&, Context&, CommandRun&);
void register_list(CLI::App&, Context&, CommandRun&);
void register_completions(CLI::App&, Context&, CommandRun&);
void register_forget(CLI::App&, Context&, CommandRun&);
void register_prune(CLI::App&, Context&, CommandRun&);
void register_catalog(CLI::App&, Context&, CommandRun&);

}  // namespace envpin::cli
