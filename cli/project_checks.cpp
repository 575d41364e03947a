#include "cli/project_checks.hpp"

#include <algorithm>

#include "base/strings.hpp"
#include "cli/resolve_inputs.hpp"
#include "resolver/spec_file.hpp"
#include "sys/file.hpp"
#include "verify/checks/registry.hpp"

namespace envpin::cli {
namespace fs = std::filesystem;
namespace {

Expected<Spec> read_spec(const fs::path& path)
{
    const auto text = ENVPIN_TRY_CTX("reading " + path.string(), sys::read_file(path));
    return parse_spec(text, path.string());
}

bool same_directory(const fs::path& a, const fs::path& b)
{
    std::error_code ec;
    return fs::equivalent(a, b, ec) && !ec;
}

// The spec beside the environment, when its [environment] path is this environment.
Expected<std::optional<fs::path>> project_of(const fs::path& environment)
{
    auto root = fs::absolute(environment).lexically_normal();
    if (!root.has_filename())  // "proj/.venv/"
        root = root.parent_path();
    const auto directory = root.parent_path();
    const auto spec = project_spec(directory);
    std::error_code ec;
    if (!fs::exists(spec, ec))
        return std::optional<fs::path>();
    const auto parsed = ENVPIN_TRY(read_spec(spec));
    if (!same_directory(directory / parsed.path, environment))
        return std::optional<fs::path>();
    return std::optional(spec);
}

Expected<std::optional<fs::path>> find_spec(const std::string& spec_flag, const fs::path& environment)
{
    std::error_code ec;
    if (!spec_flag.empty()) {
        if (!fs::is_regular_file(spec_flag, ec))
            return fail(ErrorCode::bad_input, "--spec {}: no such file (expected an envpin.toml or a pyproject.toml "
                                              "with [tool.envpin])",
                        spec_flag);
        return std::optional<fs::path>(spec_flag);
    }
    if (auto beside = ENVPIN_TRY(project_of(environment)))
        return beside;
    if (const auto here = project_spec("."); fs::exists(here, ec))
        return std::optional(here);
    return std::optional<fs::path>();
}

// A project check may not take a built-in check's name: `--only host` would be ambiguous.
Expected<void> check_names(const Spec& spec, const fs::path& path)
{
    const auto builtins = verify::suite_check_names();
    for (const auto& check : spec.checks)
        if (std::ranges::find(builtins, check.name) != builtins.end()) {
            std::vector<std::string> names(builtins.begin(), builtins.end());
            return fail(ErrorCode::bad_input,
                        "{}: [verify] checks: the name '{}' is a built-in check's ({}): give the project check "
                        "another name",
                        path.string(), check.name, join(names, ", "));
        }
    return {};
}

}  // namespace

Expected<ProjectChecks> load_project_checks(const std::string& spec_flag, const fs::path& environment)
{
    ProjectChecks found;
    const auto path = ENVPIN_TRY(find_spec(spec_flag, environment));
    if (!path)
        return found;
    const auto spec = ENVPIN_TRY(read_spec(*path));
    ENVPIN_TRY(check_names(spec, *path));
    found.spec = *path;
    found.directory = fs::absolute(*path).lexically_normal().parent_path();
    for (const auto& check : spec.checks) {
        verify::ProjectCheck project{check.name, check.run, std::nullopt};
        if (check.timeout)
            project.timeout = std::chrono::milliseconds(std::max(1LL, static_cast<long long>(*check.timeout * 1000)));
        found.checks.push_back(std::move(project));
    }
    return found;
}

}  // namespace envpin::cli
