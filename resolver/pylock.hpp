#pragma once
// PEP 751 lock files (pylock.toml), the part envpin reads and writes: packages with an exact
// version and wheels, each wheel a URL (or path) with its sha256. uv writes one for a resolution
// (`uv pip compile --format pylock.toml`), which names the wheels that fit the environment's
// Python and platform; `envpin export pylock` writes one that uv and pip-compatible installers install.
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/lock.hpp"

namespace envpin {

struct PylockWheel {
    std::string name;  // the wheel's file name; empty when the file does not give it
    std::string url;   // or
    std::string path;  // one of the two
    std::string sha256;
    bool operator==(const PylockWheel&) const = default;
};

struct PylockPackage {
    std::string name;
    std::string version;
    std::string index;  // the index's simple URL; empty when not given
    std::vector<PylockWheel> wheels;
    bool operator==(const PylockPackage&) const = default;
};

struct Pylock {
    std::string created_by = "envpin";
    std::string requires_python;            // ">=3.12"; empty: not given
    std::vector<std::string> environments;  // PEP 508 markers the lock is for; empty: any
    std::vector<PylockPackage> packages;
    bool operator==(const Pylock&) const = default;
};

// Reads a pylock.toml: lock-version 1.x, and for each package its name, version, index and
// wheels. An sdist beside wheels is left aside; a package with no wheel, or a VCS, directory or
// archive source, is refused: envpin installs wheels only.
// bad_input naming `origin` and the line otherwise; keys envpin does not use are ignored.
[[nodiscard]] Expected<Pylock> parse_pylock(std::string_view text, std::string_view origin);

// PEP 751 text, deterministic (packages in the given order, one wheel table each).
[[nodiscard]] std::string print_pylock(const Pylock& lock);

// The lock's [[installed]] distributions as a pylock: each with the wheel it was installed from
// (its source URL and sha256). bad_input when the lock has none, or an entry has no sha256 or
// no http(s):// or file:// wheel URL (locks written before envpin recorded them: create again).
[[nodiscard]] Expected<Pylock> pylock_from_lock(const Lock& lock, std::string_view origin);

// The lock's [[installed]] distributions as a requirements file that pip and uv install with
// hashes required: one `name @ URL --hash=sha256:...` line each (the exact wheel: no index to
// consult, none to shadow a name). Same errors as pylock_from_lock.
[[nodiscard]] Expected<std::string> requirements_from_lock(const Lock& lock, std::string_view origin);

}  // namespace envpin
