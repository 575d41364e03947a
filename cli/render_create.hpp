#pragma once
// Rendering of `envpin create`: a short summary (the stack, what was installed, the first
// snapshot, the lock, the verify result) or the `create --json` document (docs/CLI.md).
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/create_inputs.hpp"
#include "store/lifecycle/create.hpp"
#include "verify/runner/report.hpp"

namespace envpin::cli {

struct CreateReport {
    const store::CreateRequest* request = nullptr;
    const store::CreateOutcome* outcome = nullptr;
    std::optional<std::filesystem::path> lock_path;  // absent: no stack, no lock
    std::optional<LockWrite> lock_write;             // absent: not written (mismatch)
    std::optional<verify::Report> verify;            // --verify
};

// A resolution conflict: `resolve`'s answer (every candidate with `explain`), or its --json document.
void render_conflict(const CreateInputs& inputs, bool json, bool explain, std::ostream& out);
// No target of the lock is for this host: why, per target (exit 1).
void render_no_target(const std::vector<std::string>& mismatches, bool json, std::ostream& out);

// Summary lines on `out` (the verify run is rendered by verify's own renderer); with
// mismatches, what differs on `err` (nothing was kept).
void render_create(const CreateReport& report, std::ostream& out, std::ostream& err, bool quiet);

// {"status": "created"|"mismatch", "environment", "path", "installer", "python", "python_version", "stack",
//  "hashes_required", "installed", "extras", "mismatches", "snapshot", "lock", "verify"}.
[[nodiscard]] nlohmann::json create_json(const CreateReport& report);

}  // namespace envpin::cli
