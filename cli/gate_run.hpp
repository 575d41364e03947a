#pragma once
// `envpin gate`: the four questions CI asks before it trusts an environment, in order, stopping
// at the first "no": (1) lock: the lock is well formed and this host can run its stack; (2)
// environment: it exists and holds what the lock pins; (3) drift: nothing changed since its
// current snapshot; (4) verified: that snapshot passed verify on this host (verify runs now
// when it has not, unless --no-verify). Each step is a check result, so the text, JSON and
// JUnit forms are verify's.
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/resolve_inputs.hpp"
#include "cli/verify_run.hpp"
#include "verify/runner/report.hpp"

namespace envpin::cli {

struct GateOptions {
    std::string lock = "envpin.lock";
    std::string target;       // --target NAME: the lock's section to gate on; empty: the first this host fits
    std::string environment;  // --env NAME; empty: the name in envpin.toml beside the lock
    std::string junit;        // also write the run as JUnit XML here
    bool no_verify = false;   // step 4 only looks for a recorded pass
    ResolveInputs host;       // --driver/--gpu describe the host for step 1 instead of probing it
    VerifyOptions verify;     // --only/--skip/--device/--timeout for a verify run of step 4
};

struct GateReport {
    std::string lock;
    std::string environment;
    std::vector<verify::CheckResult> steps;  // all four: those not reached are skips saying so
    std::optional<verify::Report> verify;    // when step 4 ran the suite
    std::optional<Error> error;              // bad input or a failure of envpin: its step is an error
    long long duration_ms = 0;

    [[nodiscard]] bool passed() const;
    // The first step that did not pass; empty when every step passed.
    [[nodiscard]] std::string stopped_at() const;
};

inline constexpr std::string_view gate_steps[] = {"lock", "environment", "drift", "verified"};

// Runs the gate. Errors are part of the report (`error`), so that --junit and --json can still
// say which step met them.
[[nodiscard]] GateReport run_gate(const GateOptions& options, Context& context);

}  // namespace envpin::cli
