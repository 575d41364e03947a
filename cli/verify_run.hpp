#pragma once
// Running the verify suite for the commands that do: `verify` itself, and `create --verify`
// (which proves the snapshot it has just recorded). On text output each check is shown as it
// finishes; rendering the whole report is the caller's.
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "verify/runner/report.hpp"

namespace envpin::cli {

struct VerifyOptions {
    std::string name;  // NAME mode: the run is recorded for the snapshot in the store
    std::string ref;   // NAME mode: the snapshot to prove; empty: the current one
    std::string path;  // --path mode: the environment at this directory, nothing recorded
    std::vector<std::string> only;
    std::vector<std::string> skip;
    double timeout_s = 120;
    double build_timeout_s = 1200;
    std::string junit;  // also write JUnit XML here
    std::string device = "auto";
    std::string torch_dir;
    std::vector<std::string> set;  // KEY=VALUE check parameters
    std::string spec;  // --spec: the envpin.toml whose [verify] checks run (cli/project_checks.hpp)
};

// Runs the suite as `options` say (exactly one of `name` and `path`), records a NAME run in the
// store and writes --junit. Failed checks are part of the report; errors are bad input, an
// unknown environment or snapshot, or a store that cannot be written.
[[nodiscard]] Expected<verify::Report> run_verify(const VerifyOptions& options, Context& context);

}  // namespace envpin::cli
