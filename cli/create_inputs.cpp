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
    if (!flags.target.empty() && flags.spec.empty() && flags.from_lock.empty())
        return fail(ErrorCode::bad_input, "--target {}: it picks a section of a lock: give --spec or --from-lock",
                    flags.target);
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

Expected<std::optional<LockFile>> read_lock(const fs::path& path, std::string_view what)
{
    auto text = sys::read_file(path);
    if (!text && text.error().code == ErrorCode::not_found)
        return std::nullopt;
    if (!text)
        return std::unexpected(text.error().with_context(std::string(what)));
    return ENVPIN_TRY(parse_lock_file(*text, path.string()));
}

// A stack from a lock names its index; a tampered one must not hand the installer an option.
Expected<void> check_stack(const Lock& lock, std::string_view origin)
{
    if (!is_index_url(lock.stack.index_url))
        return fail(ErrorCode::bad_input, "{}: stack.index_url '{}' is not an http://, https:// or file:// URL",
                    origin, lock.stack.index_url);
    return {};
}

// The stack to install and the lock it goes to. A section the lock at the destination already
// records with the same resolution keeps what it recorded beyond it (its [[installed]] list).
Expected<void> set_stack(CreateInputs& inputs, Lock lock, LockDestination destination, std::string_view origin)
{
    ENVPIN_TRY(check_stack(lock, origin));
    const auto* before =
        destination.existing ? destination.existing->section(lock.target ? lock.target->name : "") : nullptr;
    if (before != nullptr && before->target.has_value() == lock.target.has_value() &&
        lock_differences(*before, lock).empty()) {
        lock.installed = before->installed;
        lock.made_for = before->made_for ? before->made_for : lock.made_for;
    }
    inputs.request.python = lock.stack.python;
    inputs.request.stack = std::move(lock);
    inputs.lock = std::move(destination);
    return {};
}

// The catalog (built in, or --catalog FILE), read at its first use and only once: each way of
// naming a stack needs it, and so does the PyPI-build question after it; `--torch none` reads none.
class CatalogOnce {
public:
    explicit CatalogOnce(const CreateFlags& flags) : inputs_{flags.catalog, "", {}, flags.store} {}
    [[nodiscard]] const ResolveInputs& inputs() const { return inputs_; }
    Expected<const Catalog*> get()
    {
        if (!catalog_)
            catalog_ = ENVPIN_TRY(load_catalog(inputs_));
        return &*catalog_;
    }

private:
    ResolveInputs inputs_;
    std::optional<Catalog> catalog_;
};

Expected<void> from_flags(const CreateFlags& flags, CreateInputs& inputs, CatalogOnce& catalogs)
{
    auto& request = inputs.request;
    request.path = flags.path.empty() ? ".venv-" + flags.name : flags.path;
    if (flags.request.torch == no_torch) {
        request.python = flags.request.python;
        return {};
    }
    const auto& catalog = *ENVPIN_TRY(catalogs.get());
    inputs.resolved = ENVPIN_TRY(make_request(catalog, flags.request));
    inputs.host = ENVPIN_TRY(host_facts(catalog, catalogs.inputs()));
    auto resolution = ENVPIN_TRY(resolve(catalog, inputs.resolved, inputs.host));
    const auto* plan = std::get_if<Plan>(&resolution);
    if (plan == nullptr) {
        inputs.conflict = std::move(resolution);
        return {};
    }
    const auto& text = flags.request;
    auto lock = lock_from_plan(*plan, LockRequest{text.torch, text.cuda, text.python, {}, false});
    lock.made_for = made_for(inputs.host);
    LockDestination destination{flags.lock.empty() ? fs::path("envpin.lock") : fs::path(flags.lock), std::nullopt,
                                std::nullopt};
    destination.existing = ENVPIN_TRY(read_lock(destination.path, "reading the lock to update"));
    if (flags.lock.empty() && destination.existing) {
        const auto changes = lock_file_differences(*destination.existing, LockFile{{lock}});
        if (!changes.empty())
            return fail(ErrorCode::bad_input,
                        "envpin.lock here pins another stack ({}); pass --lock FILE to pin this one elsewhere, "
                        "or --from-lock envpin.lock to create that one",
                        changes.front());
    }
    return set_stack(inputs, std::move(lock), std::move(destination), "--torch/--cuda/--python");
}

Expected<void> from_spec(const CreateFlags& flags, CreateInputs& inputs, CatalogOnce& catalogs)
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
    const auto& catalog = *ENVPIN_TRY(catalogs.get());
    inputs.host = ENVPIN_TRY(host_facts(catalog, catalogs.inputs()));
    LockDestination destination{flags.lock.empty() ? directory / "envpin.lock" : fs::path(flags.lock), std::nullopt,
                                std::nullopt};
    destination.existing = ENVPIN_TRY(read_lock(destination.path, "reading the lock to update"));
    auto update = ENVPIN_TRY(update_lock(catalog, spec, inputs.host, destination.existing, flags.spec));
    if (const auto* conflict = update.conflict()) {
        inputs.resolved = conflict->request;
        inputs.conflict = conflict->resolution;
        inputs.host = conflict->facts;
        return {};
    }
    const auto choice = ENVPIN_TRY(choose_section(catalog, *update.lock, inputs.host, flags.target, flags.spec));
    if (choice.section == nullptr) {
        inputs.no_target = choice.mismatches;
        return {};
    }
    const auto index = static_cast<size_t>(choice.section - update.lock->sections.data());
    inputs.resolved = update.resolutions[index].request;
    auto section = *choice.section;
    destination.resolved = std::move(update.lock);
    return set_stack(inputs, std::move(section), std::move(destination), flags.spec);
}

Expected<void> from_lock(const CreateFlags& flags, CreateInputs& inputs, CatalogOnce& catalogs)
{
    auto file = ENVPIN_TRY(read_lock(flags.from_lock, "--from-lock"));
    if (!file)
        return fail(ErrorCode::bad_input, "--from-lock {}: no such file", flags.from_lock);
    const auto& catalog = *ENVPIN_TRY(catalogs.get());
    if (file->targeted() && flags.target.empty())  // the host picks its target
        inputs.host = ENVPIN_TRY(host_facts(catalog, catalogs.inputs()));
    const auto choice = ENVPIN_TRY(choose_section(catalog, *file, inputs.host, flags.target, flags.from_lock));
    if (choice.section == nullptr) {
        inputs.no_target = choice.mismatches;
        return {};
    }
    auto section = *choice.section;
    inputs.request.path = flags.path.empty() ? ".venv-" + flags.name : flags.path;
    LockDestination destination{flags.lock.empty() ? fs::path(flags.from_lock) : fs::path(flags.lock), std::nullopt,
                                std::nullopt};
    destination.existing = flags.lock.empty() ? file : ENVPIN_TRY(read_lock(destination.path, "reading the lock to update"));
    destination.resolved = std::move(file);
    // The section read is what is installed, [[installed]] hashes included, wherever it is written.
    auto installed = section.installed;
    ENVPIN_TRY(set_stack(inputs, std::move(section), std::move(destination), flags.from_lock));
    inputs.request.stack->installed = std::move(installed);
    return {};
}

// Whether the lock's variant is what PyPI serves for its torch release (catalog pypi_default).
Expected<bool> is_pypi_build(CatalogOnce& catalogs, const Lock& lock)
{
    return pypi_serves_variant(*ENVPIN_TRY(catalogs.get()), lock);
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
    CatalogOnce catalogs(flags);
    if (!flags.from_lock.empty())
        ENVPIN_TRY(from_lock(flags, inputs, catalogs));
    else if (!flags.spec.empty())
        ENVPIN_TRY(from_spec(flags, inputs, catalogs));
    else
        ENVPIN_TRY(from_flags(flags, inputs, catalogs));
    if (!inputs.no_target.empty())
        return inputs;  // nothing to install here
    if (request.name.empty())
        return fail(ErrorCode::bad_input, "create: give the environment a NAME (the spec {} has no name)", flags.spec);
    if (request.stack)
        request.pypi_build = ENVPIN_TRY(is_pypi_build(catalogs, *request.stack));
    request.path = fs::absolute(request.path).lexically_normal();
    return inputs;
}

std::string_view to_string(LockWrite write)
{
    return write == LockWrite::written ? "written" : "unchanged";
}

Expected<LockWrite> write_create_lock(const LockDestination& destination, Lock lock,
                                      const std::vector<store::ResolvedArtifact>& installed)
{
    lock.installed.clear();
    for (const auto& artifact : installed)
        lock.installed.push_back({artifact.name, artifact.version, artifact.source, artifact.sha256});
    std::ranges::sort(lock.installed, {}, &InstalledDistribution::name);
    auto file = destination.resolved && lock.target ? *destination.resolved : LockFile{};
    const auto same_section = [&](const Lock& section) {
        return section.target && lock.target && section.target->name == lock.target->name;
    };
    if (const auto found = std::ranges::find_if(file.sections, same_section); found != file.sections.end())
        *found = std::move(lock);
    else
        file.sections.push_back(std::move(lock));
    if (destination.existing && *destination.existing == file)
        return LockWrite::unchanged;
    ENVPIN_TRY_CTX("writing " + destination.path.string(),
                   sys::write_file_atomic(destination.path, print_lock_file(file)));
    return LockWrite::written;
}

}  // namespace envpin::cli
