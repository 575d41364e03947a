#include "resolver/spec_file.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "resolver/lock_fields.hpp"
#include "resolver/marker.hpp"
#include "resolver/toml_reader.hpp"
#include "resolver/toml_writer.hpp"

namespace envpin {

namespace {

Expected<std::vector<Target>> parse_targets(const toml_read::Reader& reader, const toml::table& root)
{
    std::vector<Target> targets;
    for (const auto* table : ENVPIN_TRY(reader.tables(root, "target"))) {
        ENVPIN_TRY(reader.only_keys(*table, "[[target]]", {"name", "driver", "gpus", "cuda", "python"}));
        Target target;
        target.name = ENVPIN_TRY(reader.required_string(*table, "name"));
        target.driver = ENVPIN_TRY(reader.string(*table, "driver")).value_or("");
        target.gpus = ENVPIN_TRY(reader.strings(*table, "gpus"));
        target.cuda = ENVPIN_TRY(reader.string(*table, "cuda")).value_or("");
        target.python = ENVPIN_TRY(reader.string(*table, "python")).value_or("");
        if (const auto wrong = lock_fields::check_target(target))
            return reader.error(*table, *wrong);
        if (std::ranges::any_of(targets, [&](const Target& other) { return other.name == target.name; }))
            return reader.error(*table, fmt::format("[[target]] {} appears twice", target.name));
        targets.push_back(std::move(target));
    }
    return targets;
}

bool is_check_name(std::string_view name)
{
    return !name.empty() && std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.';
    });
}

Expected<ProjectCheckSpec> parse_project_check(const toml_read::Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[verify] checks (whose keys are name, run and timeout)", {"name", "run", "timeout"}));
    ProjectCheckSpec check;
    check.name = ENVPIN_TRY(reader.required_string(table, "name"));
    if (!is_check_name(check.name))
        return reader.error(table, fmt::format("[verify] checks: 'name' must be letters, digits, '-', '_' or '.' (it "
                                               "names the check in reports and in --only), not '{}'",
                                               check.name));
    check.run = ENVPIN_TRY(reader.strings(table, "run"));
    if (check.run.empty() || check.run.front().empty())
        return reader.error(table, fmt::format("[verify] checks: '{}': 'run' must list the command and its arguments, "
                                               "e.g. run = [\"python\", \"-m\", \"myproj.selftest\"]",
                                               check.name));
    check.timeout = ENVPIN_TRY(reader.number(table, "timeout"));
    if (check.timeout && !(*check.timeout > 0))
        return reader.error(table, fmt::format("[verify] checks: '{}': 'timeout' must be a number of seconds > 0, "
                                               "not {}",
                                               check.name, *check.timeout));
    return check;
}

Expected<std::vector<ProjectCheckSpec>> parse_project_checks(const toml_read::Reader& reader, const toml::table& root)
{
    std::vector<ProjectCheckSpec> checks;
    const auto* verify = ENVPIN_TRY(reader.table(root, "verify"));
    if (verify == nullptr)
        return checks;
    ENVPIN_TRY(reader.only_keys(*verify, "[verify] (whose one key is checks)", {"checks"}));
    for (const auto* table : ENVPIN_TRY(reader.tables(*verify, "checks"))) {
        auto check = ENVPIN_TRY(parse_project_check(reader, *table));
        if (std::ranges::any_of(checks, [&](const ProjectCheckSpec& other) { return other.name == check.name; }))
            return reader.error(*table, fmt::format("[verify] checks: the name '{}' appears twice", check.name));
        checks.push_back(std::move(check));
    }
    return checks;
}

}  // namespace

Expected<Spec> parse_spec(std::string_view text, std::string_view origin)
{
    const toml_read::Reader reader{origin};
    const auto document = ENVPIN_TRY(reader.parse(text));
    // pyproject.toml holds the same tables under [tool.envpin].
    const auto* tool = ENVPIN_TRY(reader.table(document, "tool"));
    const auto* nested = tool != nullptr ? ENVPIN_TRY(reader.table(*tool, "envpin")) : nullptr;
    const bool in_pyproject = nested != nullptr && !document.contains("environment");
    if (tool != nullptr && nested == nullptr && !document.contains("environment"))
        return reader.error("no [tool.envpin.environment] table (envpin's settings in a pyproject.toml go under "
                            "[tool.envpin]: `envpin init` shows them as envpin.toml)");
    const auto& root = in_pyproject ? *nested : document;
    const auto* table = ENVPIN_TRY(reader.table(root, "environment"));
    if (table == nullptr)
        return reader.error(in_pyproject ? "missing [tool.envpin.environment]"
                                         : "missing [environment] (run `envpin init` for a commented example)");
    ENVPIN_TRY(reader.only_keys(
        *table, "[environment]",
        {"name", "path", "python", "torch", "cuda", "companions", "requirements", "native_only"}));
    Spec spec;
    spec.name = ENVPIN_TRY(reader.string(*table, "name")).value_or("");
    spec.path = ENVPIN_TRY(reader.string(*table, "path")).value_or(".venv");
    spec.python = ENVPIN_TRY(reader.string(*table, "python")).value_or("");
    spec.torch = ENVPIN_TRY(reader.string(*table, "torch")).value_or("");
    spec.cuda = ENVPIN_TRY(reader.string(*table, "cuda")).value_or("auto");
    spec.companions = ENVPIN_TRY(reader.strings(*table, "companions"));
    spec.requirements = ENVPIN_TRY(reader.strings(*table, "requirements"));
    spec.native_only = ENVPIN_TRY(reader.boolean(*table, "native_only")).value_or(false);
    spec.targets = ENVPIN_TRY(parse_targets(reader, root));
    spec.checks = ENVPIN_TRY(parse_project_checks(reader, root));
    return spec;
}

LockRequest lock_request(const Spec& spec)
{
    // Companion names are recorded normalized ("TorchVision" -> "torchvision"), as packages are.
    std::vector<std::string> companions;
    for (const auto& companion : spec.companions)
        companions.push_back(normalize_name(companion));
    return LockRequest{spec.torch, spec.cuda, spec.python, std::move(companions), spec.native_only, spec.requirements};
}

std::string init_spec_text(std::string_view name)
{
    return fmt::format(R"(# envpin.toml: what this project's Python environment should hold.
# `envpin resolve --spec envpin.toml --explain` shows what these settings resolve to here,
# `envpin lock` pins the answer in envpin.lock, `envpin create` builds the environment.

[environment]
name = {}              # the environment's name in envpin's store
path = ".venv"               # relative to this file

# PEP 440 specifier for torch (">=2.6,<2.9", "2.7.*", "~=2.7.0"). envpin takes the newest
# release with a build that works on this machine's driver and GPUs.
torch = ">=2.0"

# auto: a CUDA build when the machine has an NVIDIA driver, else cpu. Or "cpu", a CUDA
# release ("12.8"), a variant ("cu128") or a specifier (">=12.6").
cuda = "auto"

# Python for the environment ("3.12", "3.13t" for free-threaded, or ">=3.11"). Unset: this
# machine's python3 when torch is built for it, else the newest torch supports.
# python = "3.12"

# Refuse builds that would run only under CUDA minor-version compatibility (a driver older
# than the CUDA release's own, without PTX JIT).
native_only = false

companions = ["torchvision", "torchaudio"]

# Other requirements, installed with the CUDA stack held fixed.
requirements = []

# Targets: the kinds of host one envpin.lock serves. Without any, the lock is for the machine
# that runs `envpin lock`. Each is resolved for its weakest host (the lowest driver it allows,
# every GPU it lists); a host uses the first target it belongs to (or `--target NAME`).
# [[target]]
# name = "train-h100"
# driver = ">=570"             # hosts without `driver` have no NVIDIA driver
# gpus = ["sm_90"]             # GPU names, sm_XY or X.Y; absent: any
#
# [[target]]
# name = "ci-cpu"
# cuda = "cpu"                 # cuda and python may differ per target
)",
                       toml_write::quote(name));
}

} // namespace envpin
