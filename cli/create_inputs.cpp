#include "cli/create_inputs.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "cli/resolve_inputs.hpp"
#include "resolver/lock_check.hpp"
#include "resolver/lock_update.hpp"
#include "resolver/resolve.hpp"
#include "resolver/spec_file.hpp"
#include "resolver/version.hpp"
#include "sys/file.hpp"

namespace envpin::cli {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view no_torch = "none";

bool is_index_url(std::string_view url)
{
    return (url.starts_with("https://") || url.starts_with("http://") || url.starts_with("file://")) &&
           url.find_first_of(" \t\r\n") == std::string_view::npos;
}

// --torch/--cuda/--python resolve a stack; --spec and --from-lock bring their own.
Expected<void> check_modes(const CreateFlags& flags)
{
    if (!flags.spec.empty() && !flags.from_lock.empty())
        return fail(ErrorCode::bad_input, "--spec and --from-lock: give one of them");
    const bool resolving = !flags.request.torch.empty() || flags.request.cuda != "auto" || !flags.request.python.empty();
    if (resolving && (!flags.spec.empty() || !flags.from_lock.empty()))
        return fail(ErrorCode::bad_input, "--torch, --cuda and --python resolve a stack; {} already names one",
                    flags.spec.empty() ? "--from-lock" : "--spec");
    if (flags.request.torch == no_torch && !flags.lock.empty())
        return fail(ErrorCode::bad_input, "--lock {}: --torch none has no stack to pin", flags.lock);
    return {};
}

Expected<void> add_sources(const CreateFlags& flags, store::CreateRequest& request)
{
    for (const auto& directory : flags.find_links) {
        std::error_code ec;
        if (!fs::is_directory(directory, ec))
            return fail(ErrorCode::bad_input, "--find-links {}: not a directory of wheels", directory);
        request.find_links.push_back(fs::absolute(directory).lexically_normal());
    }
    if (flags.offline && flags.find_links.empty())
        return fail(ErrorCode::bad_input, "--offline needs --find-links DIR (the wheels to install from)");
    if (!is_index_url(flags.index_url))
        return fail(ErrorCode::bad_input, "--index-url '{}': expected an http://, https:// or file:// URL",
                    flags.index_url);
    request.offline = flags.offline;
    request.extras_index = flags.index_url;
    return {};
}

Expected<std::optional<Lock>> read_lock(const fs::path& path, std::string_view what)
{
    auto text = sys::read_file(path);
    if (!text && text.error().code == ErrorCode::not_found)
        return std::nullopt;
    if (!text)
        return std::unexpected(text.error().with_context(std::string(what)));
    return ENVPIN_TRY(parse_lock(*text, path.string()));
}

// A stack from a lock names its index; a tampered one must not hand the installer an option.
Expected<void> check_stack(const Lock& lock, std::string_view origin)
{
    if (!is_index_url(lock.stack.index_url))
        return fail(ErrorCode::bad_input, "{}: stack.index_url '{}' is not an http://, https:// or file:// URL",
                    origin, lock.stack.index_url);
    return {};
}

// The stack to install and the lock it goes to, given the lock already at the target.
Expected<void> set_stack(CreateInputs& inputs, Lock lock, LockTarget target, std::string_view origin)
{
    ENVPIN_TRY(check_stack(lock, origin));
    if (target.existing && lock_differences(*target.existing, lock).empty())
        lock.installed = target.existing->installed;
    inputs.request.python = lock.stack.python;
    inputs.request.stack = std::move(lock);
    inputs.lock = std::move(target);
    return {};
}

Expected<void> from_flags(const CreateFlags& flags, CreateInputs& inputs)
{
    auto& request = inputs.request;
    request.path = flags.path.empty() ? ".venv-" + flags.name : flags.path;
    if (flags.request.torch == no_torch) {
        request.python = flags.request.python;
        return {};
    }
    const ResolveInputs resolve_inputs{flags.catalog, "", {}};
    const auto catalog = ENVPIN_TRY(load_catalog(resolve_inputs));
    inputs.resolved = ENVPIN_TRY(make_request(catalog, flags.request));
    inputs.host = ENVPIN_TRY(host_facts(catalog, resolve_inputs));
    auto resolution = ENVPIN_TRY(resolve(catalog, inputs.resolved, inputs.host));
    const auto* plan = std::get_if<Plan>(&resolution);
    if (plan == nullptr) {
        inputs.conflict = std::move(resolution);
        return {};
    }
    const auto& text = flags.request;
    auto lock = lock_from_plan(*plan, LockRequest{text.torch, text.cuda, text.python, {}, false});
    LockTarget target{flags.lock.empty() ? fs::path("envpin.lock") : fs::path(flags.lock), std::nullopt};
    target.existing = ENVPIN_TRY(read_lock(target.path, "reading the lock to update"));
    if (flags.lock.empty() && target.existing) {
        const auto changes = lock_differences(*target.existing, lock);
        if (!changes.empty())
            return fail(ErrorCode::bad_input,
                        "envpin.lock here pins another stack ({}); pass --lock FILE to pin this one elsewhere, "
                        "or --from-lock envpin.lock to create that one",
                        changes.front());
    }
    return set_stack(inputs, std::move(lock), std::move(target), "--torch/--cuda/--python");
}

Expected<void> from_spec(const CreateFlags& flags, CreateInputs& inputs)
{
    const auto text = ENVPIN_TRY_CTX("--spec", sys::read_file(flags.spec));
    const auto spec = ENVPIN_TRY(parse_spec(text, flags.spec));
    const auto directory = fs::path(flags.spec).parent_path();
    auto& request = inputs.request;
    request.name = flags.name.empty() ? spec.name : flags.name;
    request.path = flags.path.empty() ? directory / spec.path : fs::path(flags.path);
    request.extras.insert(request.extras.begin(), spec.requirements.begin(), spec.requirements.end());
    if (spec.torch == no_torch) {
        request.python = spec.python;
        return {};
    }
    const ResolveInputs resolve_inputs{flags.catalog, "", {}};
    const auto catalog = ENVPIN_TRY(load_catalog(resolve_inputs));
    inputs.host = ENVPIN_TRY(host_facts(catalog, resolve_inputs));
    LockTarget target{flags.lock.empty() ? directory / "envpin.lock" : fs::path(flags.lock), std::nullopt};
    target.existing = ENVPIN_TRY(read_lock(target.path, "reading the lock to update"));
    auto update = ENVPIN_TRY(update_lock(catalog, spec, inputs.host, target.existing, flags.spec));
    inputs.resolved = update.request;
    if (!update.lock) {
        inputs.conflict = std::move(update.resolution);
        return {};
    }
    return set_stack(inputs, std::move(*update.lock), std::move(target), flags.spec);
}

Expected<void> from_lock(const CreateFlags& flags, CreateInputs& inputs)
{
    auto lock = ENVPIN_TRY(read_lock(flags.from_lock, "--from-lock"));
    if (!lock)
        return fail(ErrorCode::bad_input, "--from-lock {}: no such file", flags.from_lock);
    inputs.request.path = flags.path.empty() ? ".venv-" + flags.name : flags.path;
    LockTarget target{flags.lock.empty() ? fs::path(flags.from_lock) : fs::path(flags.lock), std::nullopt};
    target.existing = flags.lock.empty() ? lock : ENVPIN_TRY(read_lock(target.path, "reading the lock to update"));
    // The lock read is what is installed, [[installed]] hashes included, wherever it is written.
    auto installed = lock->installed;
    ENVPIN_TRY(set_stack(inputs, std::move(*lock), std::move(target), flags.from_lock));
    inputs.request.stack->installed = std::move(installed);
    return {};
}

// Whether the lock's variant is what PyPI serves for its torch release (catalog pypi_default).
Expected<bool> is_pypi_build(const CreateFlags& flags, const Lock& lock)
{
    return pypi_serves_variant(ENVPIN_TRY(load_catalog(ResolveInputs{flags.catalog, "", {}})), lock);
}

}  // namespace

Expected<CreateInputs> create_inputs(const CreateFlags& flags)
{
    ENVPIN_TRY(check_modes(flags));
    if (flags.name.empty() && flags.spec.empty())
        return fail(ErrorCode::bad_input, "create: give the environment a NAME");
    CreateInputs inputs;
    auto& request = inputs.request;
    request.name = flags.name;
    request.extras = flags.with;
    request.installer = ENVPIN_TRY(store::choose_installer(flags.installer));
    request.link_mode = store::parse_link_mode(flags.link_mode).value_or(store::LinkMode::automatic);
    ENVPIN_TRY(add_sources(flags, request));
    if (!flags.from_lock.empty())
        ENVPIN_TRY(from_lock(flags, inputs));
    else if (!flags.spec.empty())
        ENVPIN_TRY(from_spec(flags, inputs));
    else
        ENVPIN_TRY(from_flags(flags, inputs));
    if (request.name.empty())
        return fail(ErrorCode::bad_input, "create: give the environment a NAME (the spec {} has no name)", flags.spec);
    if (request.stack)
        request.pypi_build = ENVPIN_TRY(is_pypi_build(flags, *request.stack));
    request.path = fs::absolute(request.path).lexically_normal();
    return inputs;
}

std::string_view to_string(LockWrite write)
{
    return write == LockWrite::written ? "written" : "unchanged";
}

Expected<LockWrite> write_create_lock(const LockTarget& target, Lock lock,
                                      const std::vector<store::ResolvedArtifact>& installed)
{
    lock.installed.clear();
    for (const auto& artifact : installed)
        lock.installed.push_back({artifact.name, artifact.version, artifact.source, artifact.sha256});
    std::ranges::sort(lock.installed, {}, &InstalledDistribution::name);
    if (target.existing && *target.existing == lock)
        return LockWrite::unchanged;
    ENVPIN_TRY_CTX("writing " + target.path.string(), sys::write_file_atomic(target.path, print_lock(lock)));
    return LockWrite::written;
}

}  // namespace envpin::cli
