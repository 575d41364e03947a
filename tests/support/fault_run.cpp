#include "tests/support/fault_run.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace envpin::test {

const std::vector<std::string> fault_kinds = {"write", "fsync", "rename", "link", "open", "mkdir"};
const std::vector<std::pair<std::string, int>> fault_errnos = {{"ENOSPC", ENOSPC}, {"EIO", EIO}};

FaultedRun run_faulted(const std::vector<std::string>& arguments, const std::string& fault,
                       const std::filesystem::path& log, std::vector<std::pair<std::string, std::string>> environment)
{
    std::filesystem::remove(log);
    environment.insert(environment.end(), {{"LD_PRELOAD", ENVPIN_FAULTS_LIB},
                                           {"ENVPIN_FAULT_LOG", log.string()},
                                           {"ENVPIN_NO_BACKGROUND", "1"}});
    if (!fault.empty())
        environment.emplace_back("ENVPIN_FAULT", fault);
    FaultedRun faulted{run_envpin(arguments, environment, 300), {}, false};
    std::ifstream lines(log);
    std::string first, second;
    while (lines >> first >> second) {
        if (first == "fired") {
            faulted.fired = true;
            lines >> second;
        } else {
            faulted.calls[first] = std::stol(second);
        }
    }
    return faulted;
}

std::vector<long> spread(long count, int points_wanted)
{
    std::vector<long> points;
    for (int i = 0; i < points_wanted; ++i) {
        const long n = std::max(1L, count * i / (points_wanted - 1));
        if (points.empty() || points.back() != n)
            points.push_back(n);
    }
    return points;
}

bool check_fired(const FaultedRun& faulted, const std::string& fault, int error, const std::filesystem::path& where)
{
    if (faulted.run.exit_code == 0)
        return false;
    EXPECT_EQ(faulted.run.exit_code, 3) << fault << ": " << faulted.run.out << faulted.run.err;
    const auto& err = faulted.run.err;
    EXPECT_NE(err.find("envpin: error: "), std::string::npos) << fault << ": " << err;
    // Why: the errno's words, or SQLite's for them ("disk I/O error", "disk is full"), and
    // where: a path (in the store or the environment).
    const bool why = err.find(std::strerror(error)) != std::string::npos ||
                     err.find("disk is full") != std::string::npos || err.find("disk I/O error") != std::string::npos ||
                     // SQLite, when opening its journal fails, tries again read-only and reports
                     // that second open's errno (docs/RELIABILITY.md): said with the database's path
                     err.find("unable to open database file") != std::string::npos ||
                     // libgit2 reports a commit it could not open as one that does not exist
                     // (docs/RELIABILITY.md): said with the repository's path
                     err.find("manifests.git: target OID for the reference doesn't exist") != std::string::npos;
    EXPECT_TRUE(why) << fault << ": " << err;
    EXPECT_NE(err.find(where.string()), std::string::npos) << fault << ": names no path: " << err;
    return true;
}

}  // namespace envpin::test
