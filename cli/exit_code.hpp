#pragma once
// envpin's documented exit codes (docs/CLI.md, README "Exit codes"). main.cpp is the only place that
// turns results into a process exit status.
#include "base/error.hpp"

namespace envpin::cli {

enum class ExitCode : int {
    ok = 0,       // success
    no = 1,       // a "no" answer: no resolution, a check failed, gate failed, drift with --exit-code
    usage = 2,    // usage error or bad input (the message names the input)
    runtime = 3,  // I/O, corrupt store, installer failed, timeout
};

[[nodiscard]] constexpr ExitCode exit_code_for(ErrorCode code)
{
    switch (code) {
    case ErrorCode::bad_input:
    case ErrorCode::not_found:
    case ErrorCode::already_exists:
        return ExitCode::usage;
    default:
        return ExitCode::runtime;
    }
}

}  // namespace envpin::cli
