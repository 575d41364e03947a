#pragma once
// The installer backend: uv when it is on PATH, else `python -m pip`, always as a subprocess.
// envpin decides what is installed (exact pins, one index for the torch family, constraints
// for extras); the installer only downloads and unpacks. Index options are never taken from
// inputs or the environment: requirements are validated PEP 508 strings, the installers run
// without user configuration, and PIP_*/UV_* index variables are removed.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace envpin::store {

enum class InstallerKind { uv, pip };

[[nodiscard]] std::string_view to_string(InstallerKind kind);

// "auto" picks uv when it is on PATH, else pip; "uv" fails (not_found) without uv.
[[nodiscard]] Expected<InstallerKind> choose_installer(std::string_view requested);

// Where packages come from for one installer call.
struct PackageSource {
    std::optional<std::string> index_url;          // the first index; nullopt: the installer's default
    std::vector<std::filesystem::path> find_links; // local wheel directories
    bool offline = false;                          // no network: find_links only
    // A second index, for names `index_url` does not carry (uv's first-index strategy: a name
    // found on `index_url` is never taken from here, so it cannot shadow the torch family).
    // pip merges every index it is given and takes the highest version (the torchtriton
    // attack), so pip gets both indexes only when hashes are required (`locked`); otherwise it
    // installs from this index alone, where packages already installed stay as they are.
    std::optional<std::string> fallback_index_url;
};

// One exact artifact the installer resolved, for the lock.
struct ResolvedArtifact {
    std::string name;     // normalized (PEP 503)
    std::string version;
    std::string sha256;   // of the wheel; empty when the installer did not tell
    std::string source;   // the wheel's URL (file:// for a local one); else the index or directory
    bool operator==(const ResolvedArtifact&) const = default;
};

struct InstallStep {
    std::vector<std::string> requirements;  // "torch==2.7.1+cu128", validated PEP 508
    std::vector<std::string> constraints;   // pins held fixed while installing `requirements`
    PackageSource source;
    // Exact artifacts with hashes (from a lock): install exactly these, hashes required.
    std::vector<ResolvedArtifact> locked;
};

// Checks a locked artifact before it is written into a hashed requirements file: a PEP 503
// name, a PEP 440 version and 64 hex digits of sha256. bad_input naming the artifact otherwise
// (a tampered lock cannot smuggle installer options in through these fields).
[[nodiscard]] Expected<void> validate_artifact(const ResolvedArtifact& artifact);

// Rejects anything that is not a plain PEP 508 requirement: option lines ("--index-url",
// "-e"), embedded newlines, empty strings. Returns the trimmed requirement.
[[nodiscard]] Expected<std::string> validate_requirement(std::string_view requirement);

class Installer {
public:
    // `progress`: the installer's own output (what uv or pip resolves, downloads and installs,
    // with their progress bars; pip's stdout included) goes to this process's stderr while it
    // installs, for a person at a terminal; its failure then says that its explanation is above.
    Installer(InstallerKind kind, std::filesystem::path scratch_directory, bool progress = false)
        : kind_(kind), scratch_(std::move(scratch_directory)), progress_(progress) {}

    [[nodiscard]] InstallerKind kind() const { return kind_; }

    // Creates a virtual environment at `path` with the interpreter `python` (a version such as
    // "3.12" looked up as python3.12 on PATH, or a path). Fails with `already_exists` when
    // `path` exists.
    [[nodiscard]] Expected<void> create_venv(const std::filesystem::path& path,
                                             const std::string& python) const;

    // Installs into the environment at `environment`; returns what was installed (with
    // hashes where the installer reports them). The installer's own message is the error.
    [[nodiscard]] Expected<std::vector<ResolvedArtifact>> install(
        const std::filesystem::path& environment, const InstallStep& step) const;

    // What `install` would install into an environment of Python `python_version` ("3.12") on
    // this platform, resolved without installing anything (uv only; not_found with pip).
    [[nodiscard]] Expected<std::vector<ResolvedArtifact>> resolve(const InstallStep& step,
                                                                  const std::string& python_version) const;

private:
    [[nodiscard]] Expected<std::vector<ResolvedArtifact>> compile_with_uv(const InstallStep& step,
                                                                          const std::vector<std::string>& target) const;
    [[nodiscard]] Expected<std::vector<ResolvedArtifact>> install_with_uv(
        const std::filesystem::path& environment, const InstallStep& step) const;
    [[nodiscard]] Expected<std::vector<ResolvedArtifact>> install_with_pip(
        const std::filesystem::path& environment, const InstallStep& step) const;

    InstallerKind kind_;
    std::filesystem::path scratch_;  // requirement/constraint files and reports go here
    bool progress_ = false;
};

// The packages of uv's `pip compile --format pylock.toml` output, each with the first wheel that
// fits (the one then installed, its hash required), every field checked as a lock's are.
[[nodiscard]] Expected<std::vector<ResolvedArtifact>> artifacts_from_pylock(std::string_view text);

// Parses pip's `--report` JSON (the "install" array: metadata name/version, download_info).
[[nodiscard]] Expected<std::vector<ResolvedArtifact>> parse_pip_report(std::string_view text);

}  // namespace envpin::store
