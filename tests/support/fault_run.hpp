#pragma once
// Runs envpin with the I/O fault injector (tests/faults/faults.c) loaded into it alone, and
// judges what a fired fault did: for the fault tests of every command that writes.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/run_envpin.hpp"

namespace envpin::test {

// The injector's kinds of call and the errnos a test sweeps them with.
extern const std::vector<std::string> fault_kinds;  // write, fsync, rename, link, open, mkdir
extern const std::vector<std::pair<std::string, int>> fault_errnos;  // ENOSPC, EIO

struct FaultedRun {
    EnvpinRun run;
    std::map<std::string, long> calls;  // calls of each kind the run made
    bool fired = false;
};

// `envpin ARGUMENTS` with the injector loaded, `environment` and ENVPIN_NO_BACKGROUND=1 added;
// `fault` ("write:17:ENOSPC") empty: counting only. The injector's log is written to `log`.
[[nodiscard]] FaultedRun run_faulted(const std::vector<std::string>& arguments, const std::string& fault,
                                     const std::filesystem::path& log,
                                     std::vector<std::pair<std::string, std::string>> environment = {});

// `points_wanted` points spread over [1, count].
[[nodiscard]] std::vector<long> spread(long count, int points_wanted = 5);

// A fired fault either failed the command cleanly (exit 3, saying why: the errno's words, and
// where: a path under `where`) or was absorbed by a fallback that did the work another way:
// then the command succeeded and the caller checks that its work is whole. Returns whether it
// failed.
bool check_fired(const FaultedRun& faulted, const std::string& fault, int error, const std::filesystem::path& where);

}  // namespace envpin::test
