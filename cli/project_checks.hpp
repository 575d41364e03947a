#pragma once
// The project checks `verify` runs ([verify] checks of envpin.toml, or of pyproject.toml's
// [tool.envpin.verify]) and where it finds that file: `--spec FILE`; else the environment's
// project directory, the directory holding the environment when its envpin.toml's
// [environment] path names this environment (`path = ".venv"`); else the current directory's
// envpin.toml. No file: no project checks.
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "verify/runner/suite.hpp"

namespace envpin::cli {

struct ProjectChecks {
    std::filesystem::path spec;       // the file they came from; empty when none was found
    std::filesystem::path directory;  // where they run: the file's directory
    std::vector<verify::ProjectCheck> checks;
};

// bad_input (exit 2) for a malformed file, a check named like a built-in one, or a --spec
// that is not there, each naming the file and the key.
[[nodiscard]] Expected<ProjectChecks> load_project_checks(const std::string& spec_flag,
                                                          const std::filesystem::path& environment);

}  // namespace envpin::cli
