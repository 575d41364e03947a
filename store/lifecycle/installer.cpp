#include "store/lifecycle/installer.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "resolver/marker.hpp"
#include "resolver/pylock.hpp"
#include "resolver/version.hpp"
#include "sys/file.hpp"
#include "sys/process.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

// Variables through which a shell or CI config could redirect the installers to another
// index (the torchtriton dependency-confusion path). They are removed for every call.
const std::vector<std::string> hostile_variables = {
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_CONFIG_FILE",
    "PIP_CONSTRAINT", "PIP_REQUIREMENT", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX",
    "UV_DEFAULT_INDEX", "UV_FIND_LINKS", "UV_NO_INDEX", "UV_INDEX_STRATEGY", "UV_CONSTRAINT",
    "UV_OVERRIDE", "UV_CONFIG_FILE", "UV_PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX"};

// Runs an installer command; failure carries the installer's own last lines.
// `shown`: the installer's stderr goes to ours (a person watches it install), so a failure
// points there instead of repeating it.
Expected<sys::ProcessResult> run_installer(std::vector<std::string> argv, const std::string& what, bool shown = false)
{
    sys::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.unset_env = hostile_variables;
    spec.set_env = {{"PIP_DISABLE_PIP_VERSION_CHECK", "1"}};
    if (!shown)
        spec.set_env.emplace_back("UV_NO_PROGRESS", "1");
    spec.pass_stderr_through = shown;
    spec.stdout_to_our_stderr = shown;  // pip draws its progress on stdout
    auto result = ENVPIN_TRY_CTX(what, sys::run_process(spec));
    if (!result.success() && shown)
        return fail(ErrorCode::installer, "{} failed ({}); its explanation is above", what, result.describe_status());
    if (!result.success()) {
        // pip explains a resolution conflict on stdout and states it on stderr: keep both.
        std::string message = std::string(trim(std::string(trim(result.out)) + "\n" + std::string(trim(result.err))));
        if (message.size() > 4000)
            message = "..." + message.substr(message.size() - 4000);
        return fail(ErrorCode::installer, "{} failed ({}):\n{}", what, result.describe_status(), message);
    }
    return result;
}

std::string join_lines(const std::vector<std::string>& lines)
{
    std::string text;
    for (const auto& line : lines)
        text += line + "\n";
    return text;
}

std::string pinned_lines(const std::vector<ResolvedArtifact>& artifacts)
{
    std::string text;
    for (const auto& artifact : artifacts)
        text += fmt::format("{}=={} --hash=sha256:{}\n", artifact.name, artifact.version, artifact.sha256);
    return text;
}

// Where an artifact came from when the installer did not say.
std::string describe_source(const PackageSource& source)
{
    if (source.index_url && !source.offline)
        return *source.index_url;
    std::vector<std::string> directories;
    for (const auto& directory : source.find_links)
        directories.push_back(directory.string());
    return join(directories, ",");
}

bool is_hex_digest(std::string_view text)
{
    return text.size() == 64 && std::ranges::all_of(text, [](char c) {
               return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
           });
}

// uv ranks --extra-index-url above --index-url, and first-index takes each name from the
// first index that has it: the fallback index can add names, never shadow the first's.
void add_uv_source(std::vector<std::string>& argv, const PackageSource& source)
{
    if (source.offline) {
        argv.insert(argv.end(), {"--offline", "--no-index"});
    } else if (source.index_url && source.fallback_index_url) {
        argv.insert(argv.end(), {"--index-url", *source.fallback_index_url, "--extra-index-url",
                                 *source.index_url, "--index-strategy", "first-index"});
    } else if (const auto& only = source.index_url ? source.index_url : source.fallback_index_url) {
        argv.insert(argv.end(), {"--index-url", *only, "--index-strategy", "first-index"});
    }
    for (const auto& directory : source.find_links)
        argv.insert(argv.end(), {"--find-links", directory.string()});
}

// pip merges indexes (highest version wins), so two indexes only where hashes are required.
void add_pip_source(std::vector<std::string>& argv, const PackageSource& source, bool hashes_required)
{
    if (source.offline) {
        argv.emplace_back("--no-index");
    } else if (source.index_url && source.fallback_index_url && hashes_required) {
        argv.insert(argv.end(),
                    {"--index-url", *source.index_url, "--extra-index-url", *source.fallback_index_url});
    } else if (const auto& only = source.fallback_index_url ? source.fallback_index_url : source.index_url) {
        argv.insert(argv.end(), {"--index-url", *only});
    }
    for (const auto& directory : source.find_links)
        argv.insert(argv.end(), {"--find-links", directory.string()});
}

fs::path environment_python(const fs::path& environment)
{
    return environment / "bin" / "python";
}

Expected<fs::path> find_interpreter(const std::string& python)
{
    if (python.find('/') != std::string::npos)
        return fs::path(python);
    const std::string name = python.empty() ? "python3" : "python" + python;
    if (auto found = sys::find_on_path(name))
        return *found;
    return fail(ErrorCode::not_found, "no Python {} interpreter on PATH (looked for {})",
                python.empty() ? "3" : python, name);
}

}  // namespace

std::string_view to_string(InstallerKind kind)
{
    return kind == InstallerKind::uv ? "uv" : "pip";
}

Expected<InstallerKind> choose_installer(std::string_view requested)
{
    const bool has_uv = sys::find_on_path("uv").has_value();
    if (requested == "uv") {
        if (!has_uv)
            return fail(ErrorCode::not_found, "--installer uv: uv is not on PATH");
        return InstallerKind::uv;
    }
    if (requested == "pip")
        return InstallerKind::pip;
    if (requested.empty() || requested == "auto")
        return has_uv ? InstallerKind::uv : InstallerKind::pip;
    return fail(ErrorCode::bad_input, "--installer '{}': expected auto, uv or pip", requested);
}

Expected<std::string> validate_requirement(std::string_view requirement)
{
    const auto text = trim(requirement);
    if (text.empty())
        return fail(ErrorCode::bad_input, "empty requirement");
    if (text.find_first_of("\n\r") != std::string_view::npos)
        return fail(ErrorCode::bad_input, "requirement '{}' spans several lines", text);
    if (!std::isalnum(static_cast<unsigned char>(text.front())))
        return fail(ErrorCode::bad_input,
                    "'{}' is not a requirement (expected a PEP 508 requirement such as "
                    "'numpy<2'; installer options are never taken from inputs)",
                    text);
    if (text.find(" -") != std::string_view::npos || text.find("\t-") != std::string_view::npos)
        return fail(ErrorCode::bad_input,
                    "requirement '{}' carries an installer option; index and installer options "
                    "are never taken from inputs",
                    text);
    return std::string(text);
}

Expected<void> validate_artifact(const ResolvedArtifact& artifact)
{
    const bool name_ok = !artifact.name.empty() && std::ranges::all_of(artifact.name, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (!name_ok)
        return fail(ErrorCode::bad_input, "locked distribution '{}' is not a distribution name", artifact.name);
    if (!Version::parse(artifact.version) || artifact.version.find_first_of(" \t\n\r") != std::string::npos)
        return fail(ErrorCode::bad_input, "locked distribution {}: '{}' is not a version", artifact.name,
                    artifact.version);
    if (!is_hex_digest(artifact.sha256))
        return fail(ErrorCode::bad_input, "locked distribution {} {}: sha256 '{}' is not 64 lower-case hex digits",
                    artifact.name, artifact.version, artifact.sha256);
    return {};
}

Expected<void> Installer::create_venv(const fs::path& path, const std::string& python) const
{
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec)))
        return fail(ErrorCode::already_exists, "{} already exists", path.string());
    if (kind_ == InstallerKind::uv) {
        std::vector<std::string> argv = {"uv", "venv", path.string(), "--no-config",
                                         "--no-python-downloads", "--quiet"};
        if (!python.empty())
            argv.insert(argv.end(), {"--python", python});
        ENVPIN_TRY(run_installer(argv, "uv venv"));
        return {};
    }
    // No pip inside: the host's pip installs into it with --python, which saves the seconds
    // ensurepip takes and matches uv's venvs.
    const auto interpreter = ENVPIN_TRY(find_interpreter(python));
    ENVPIN_TRY(run_installer({interpreter.string(), "-m", "venv", "--without-pip", path.string()},
                             "python -m venv"));
    return {};
}

Expected<std::vector<ResolvedArtifact>> Installer::install(const fs::path& environment,
                                                           const InstallStep& step) const
{
    for (const auto& requirement : step.requirements)
        ENVPIN_TRY(validate_requirement(requirement));
    for (const auto& constraint : step.constraints)
        ENVPIN_TRY(validate_requirement(constraint));
    for (const auto& artifact : step.locked)
        ENVPIN_TRY(validate_artifact(artifact));
    std::error_code ec;
    fs::create_directories(scratch_, ec);
    if (ec)
        return fail(ErrorCode::io, "cannot create {}: {}", scratch_.string(), ec.message());
    return kind_ == InstallerKind::uv ? install_with_uv(environment, step)
                                      : install_with_pip(environment, step);
}

// Resolves as a PEP 751 lock: it names the one wheel uv chose for the target Python and
// platform and its sha256, which a lock records and an install then requires.
Expected<std::vector<ResolvedArtifact>> Installer::compile_with_uv(const InstallStep& step,
                                                                   const std::vector<std::string>& target) const
{
    const auto inputs = scratch_ / "requirements.in";
    const auto constraints = scratch_ / "constraints.txt";
    const auto resolved = scratch_ / "pylock.toml";
    ENVPIN_TRY(sys::write_file_atomic(inputs, join_lines(step.requirements)));
    ENVPIN_TRY(sys::write_file_atomic(constraints, join_lines(step.constraints)));
    std::vector<std::string> compile = {"uv", "pip", "compile", inputs.string(), "--constraints", constraints.string()};
    compile.insert(compile.end(), target.begin(), target.end());
    compile.insert(compile.end(), {"--no-config", "--format", "pylock.toml", "--no-header", "--quiet", "--output-file",
                                   resolved.string()});
    add_uv_source(compile, step.source);
    ENVPIN_TRY(run_installer(compile, "uv pip compile"));
    return artifacts_from_pylock(ENVPIN_TRY(sys::read_file(resolved)));
}

Expected<std::vector<ResolvedArtifact>> Installer::resolve(const InstallStep& step, const std::string& python_version) const
{
    if (kind_ != InstallerKind::uv)
        return fail(ErrorCode::not_found, "resolving without installing needs uv (pip resolves only as it installs)");
    std::error_code ec;
    fs::create_directories(scratch_, ec);
    if (ec)
        return fail(ErrorCode::io, "cannot create {}: {}", scratch_.string(), ec.message());
    return compile_with_uv(step, {"--python-version", python_version});
}

Expected<std::vector<ResolvedArtifact>> Installer::install_with_uv(const fs::path& environment,
                                                                   const InstallStep& step) const
{
    const auto python = environment_python(environment).string();
    const auto pinned = scratch_ / "pinned.txt";
    auto artifacts = step.locked.empty() ? ENVPIN_TRY(compile_with_uv(step, {"--python", python})) : step.locked;
    ENVPIN_TRY(sys::write_file_atomic(pinned, pinned_lines(artifacts)));
    std::vector<std::string> install = {"uv", "pip", "install", "--python", python, "--no-config",
                                        "--require-hashes", "--no-deps", "-r", pinned.string()};
    if (!progress_)
        install.push_back("--quiet");
    add_uv_source(install, step.source);
    ENVPIN_TRY(run_installer(install, "uv pip install", progress_));
    return artifacts;
}

Expected<std::vector<ResolvedArtifact>> Installer::install_with_pip(const fs::path& environment,
                                                                    const InstallStep& step) const
{
    const auto report = scratch_ / "pip-report.json";
    const auto host_python = ENVPIN_TRY(find_interpreter(""));
    std::vector<std::string> argv = {host_python.string(), "-m", "pip", "--python",
                                     environment_python(environment).string(), "install", "--isolated",
                                     "--no-input", "--report", report.string()};
    if (!progress_)
        argv.push_back("--quiet");
    if (!step.locked.empty()) {
        const auto pinned = scratch_ / "pinned.txt";
        ENVPIN_TRY(sys::write_file_atomic(pinned, pinned_lines(step.locked)));
        argv.insert(argv.end(), {"--require-hashes", "--no-deps", "-r", pinned.string()});
    } else {
        const auto constraints = scratch_ / "constraints.txt";
        ENVPIN_TRY(sys::write_file_atomic(constraints, join_lines(step.constraints)));
        argv.insert(argv.end(), {"-c", constraints.string()});
        argv.insert(argv.end(), step.requirements.begin(), step.requirements.end());
    }
    add_pip_source(argv, step.source, !step.locked.empty());
    ENVPIN_TRY(run_installer(argv, "pip install", progress_));
    auto artifacts = ENVPIN_TRY(parse_pip_report(ENVPIN_TRY(sys::read_file(report))));
    for (auto& artifact : artifacts)
        if (artifact.source.empty())
            artifact.source = describe_source(step.source);
    return artifacts;
}

Expected<std::vector<ResolvedArtifact>> artifacts_from_pylock(std::string_view text)
{
    const auto lock = ENVPIN_TRY(parse_pylock(text, "uv's resolution (pylock.toml)"));
    std::vector<ResolvedArtifact> artifacts;
    for (const auto& package : lock.packages) {
        // Each wheel listed fits the target; the lock records the first, and the install
        // requires its hash, so that one is what is installed.
        const auto& wheel = package.wheels.front();
        ResolvedArtifact artifact{normalize_name(package.name), package.version, wheel.sha256,
                                  wheel.url.empty() ? wheel.path : wheel.url};
        ENVPIN_TRY_CTX("uv's resolution", validate_artifact(artifact));
        artifacts.push_back(std::move(artifact));
    }
    return artifacts;
}

Expected<std::vector<ResolvedArtifact>> parse_pip_report(std::string_view text)
{
    const auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.contains("install"))
        return fail(ErrorCode::bad_input, "pip's install report is not valid JSON");
    std::vector<ResolvedArtifact> artifacts;
    try {
        for (const auto& item : document.at("install")) {
            ResolvedArtifact artifact;
            artifact.name = normalize_name(item.at("metadata").at("name").get<std::string>());
            artifact.version = item.at("metadata").at("version").get<std::string>();
            const auto& download = item.at("download_info");
            artifact.source = download.value("url", "");
            if (auto archive = download.find("archive_info"); archive != download.end()) {
                if (auto hashes = archive->find("hashes"); hashes != archive->end() && hashes->contains("sha256"))
                    artifact.sha256 = hashes->at("sha256").get<std::string>();
                else if (auto hash = archive->find("hash"); hash != archive->end()) {
                    const auto value = hash->get<std::string>();
                    if (value.starts_with("sha256="))
                        artifact.sha256 = value.substr(7);
                }
            }
            artifacts.push_back(std::move(artifact));
        }
    } catch (const nlohmann::json::exception& error) {
        return fail(ErrorCode::bad_input, "pip's install report: {}", error.what());
    }
    return artifacts;
}

}  // namespace envpin::store
