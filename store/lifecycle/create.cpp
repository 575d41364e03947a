#include "store/lifecycle/create.hpp"

#include <stdlib.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "store/lifecycle/create_claim.hpp"
#include "store/lifecycle/dist_info.hpp"
#include "store/core/ref.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

// What create made on disk: the first missing directory on the way to the environment, and
// everything below it. Removed unless kept, so a failure leaves the filesystem as it was.
class MadeTree {
  public:
    explicit MadeTree(fs::path top) : top_(std::move(top)) {}
    ~MadeTree()
    {
        std::error_code ec;
        if (!kept_)
            fs::remove_all(top_, ec);
    }
    MadeTree(const MadeTree&) = delete;
    MadeTree& operator=(const MadeTree&) = delete;
    void keep() { kept_ = true; }

  private:
    fs::path top_;
    bool kept_ = false;
};

// The installer's requirement, constraint and report files, in a private directory.
class ScratchDirectory {
  public:
    ScratchDirectory()
    {
        auto pattern = (fs::temp_directory_path() / "envpin-create-XXXXXX").string();
        if (::mkdtemp(pattern.data()) != nullptr)
            path_ = pattern;
    }
    ~ScratchDirectory()
    {
        std::error_code ec;
        if (!path_.empty())
            fs::remove_all(path_, ec);
    }
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;
    [[nodiscard]] const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

fs::path first_missing_directory(const fs::path& path)
{
    std::error_code ec;
    fs::path top = path;
    while (top.has_parent_path() && top.parent_path() != top && !fs::exists(top.parent_path(), ec))
        top = top.parent_path();
    return top;
}

void announce(const CreateRequest& request, std::string_view step)
{
    if (request.on_step)
        request.on_step(step);
}

// Adds `more` to `installed`, keeping the first artifact of each name.
void merge_artifacts(std::vector<ResolvedArtifact>& installed, std::vector<ResolvedArtifact> more)
{
    for (auto& artifact : more)
        if (std::ranges::find(installed, artifact.name, &ResolvedArtifact::name) == installed.end())
            installed.push_back(std::move(artifact));
}


PackageSource offline_source(const CreateRequest& request)
{
    return {.index_url = std::nullopt, .find_links = request.find_links, .offline = true};
}

// The torch family from the variant's index alone; a lock's hashed artifacts may also come
// from the extras index, which cannot shadow anything: every file must match its hash.
Expected<void> install_stack(const Installer& installer, const CreateRequest& request,
                             CreateOutcome& outcome)
{
    const auto& lock = *request.stack;
    InstallStep step;
    step.locked = locked_artifacts(lock);
    outcome.hashes_required = !step.locked.empty();
    step.source = request.offline ? offline_source(request)
                                  : PackageSource{.index_url = lock.stack.index_url,
                                                  .find_links = request.find_links,
                                                  .fallback_index_url =
                                                      outcome.hashes_required
                                                          ? std::optional(request.extras_index)
                                                          : std::nullopt};
    if (step.locked.empty())
        step.requirements = torch_family_requirements(lock, request.offline && request.pypi_build);
    const auto from =
        request.offline ? std::string("the --find-links wheels") : lock.stack.index_url;
    announce(request,
             outcome.hashes_required
                 ? fmt::format("installing the lock's {} artifacts (hashes required) from {}",
                               step.locked.size(), from)
                 : fmt::format("installing {} from {}", join(step.requirements, " "), from));
    merge_artifacts(outcome.installed, ENVPIN_TRY(installer.install(request.path, step)));
    return {};
}

// Extras with every installed distribution pinned as a constraint.
Expected<void> install_extras(const Installer& installer, const CreateRequest& request,
                              CreateOutcome& outcome)
{
    if (request.extras.empty())
        return {};
    InstallStep step;
    step.requirements = request.extras;
    for (const auto& distribution : ENVPIN_TRY(installed_distributions(request.path)))
        step.constraints.push_back(fmt::format("{}=={}", distribution.name, distribution.version));
    step.source =
        request.offline
            ? offline_source(request)
            : PackageSource{.index_url = request.stack
                                             ? std::optional(request.stack->stack.index_url)
                                             : std::nullopt,
                            .find_links = request.find_links,
                            .fallback_index_url = request.extras_index};
    announce(request, fmt::format("installing {}{}", join(request.extras, " "),
                                  request.stack ? " with the stack held fixed" : ""));
    merge_artifacts(outcome.installed, ENVPIN_TRY(installer.install(request.path, step)));
    return {};
}

Expected<void> check_name_free(const StoreOptions& options, const std::string& name)
{
    auto read = options;
    read.access = Access::read;
    auto store = Store::open(read);
    if (!store && store.error().code == ErrorCode::not_found)
        return {}; // no store yet: every name is free
    if (!store)
        return std::unexpected(store.error());
    if (const auto taken = ENVPIN_TRY(store->metadata().find_environment(name)))
        return name_in_use(*taken);
    return {};
}

// Takes back what a create of `path` killed mid-way left (store/lifecycle/create_claim.hpp):
// its directories, unless the store recorded the environment before the kill.
Expected<void> take_back_killed_create(const StoreOptions& options, const fs::path& path)
{
    const auto killed = ENVPIN_TRY(find_killed_create(path));
    if (!killed)
        return {};
    bool recorded = false;
    if (!killed->made.empty()) {
        auto read = options;
        read.access = Access::read;
        auto store = Store::open(read);
        if (!store && store.error().code != ErrorCode::not_found)
            return std::unexpected(store.error());
        if (store)
            recorded = ENVPIN_TRY(store->metadata().find_environment_by_path(killed->environment)).has_value();
    }
    return take_back(*killed, recorded);
}

// Everything after the venv exists; the caller removes it unless this records it.
Expected<void> install_and_record(const StoreOptions& options, const CreateRequest& request,
                                  const Installer& installer, CreateOutcome& outcome)
{
    if (request.stack)
        ENVPIN_TRY(install_stack(installer, request, outcome));
    ENVPIN_TRY(install_extras(installer, request, outcome));
    std::ranges::sort(outcome.installed, {}, &ResolvedArtifact::name);
    if (request.stack) {
        announce(request, "checking the installed stack against the lock");
        const auto distributions = ENVPIN_TRY(installed_distributions(request.path));
        outcome.mismatches = check_stack(stack_requirements(*request.stack, request.offline && request.pypi_build), distributions);
        if (!outcome.mismatches.empty())
            return {};
    }
    if (request.before_record)
        ENVPIN_TRY(request.before_record(outcome));
    announce(request, fmt::format("recording {} in the store", request.name));
    auto write = options;
    write.access = Access::create;
    auto store = ENVPIN_TRY(Store::open(write));
    AdoptOptions adopt_options{request.path, request.name, request.link_mode, {}};
    adopt_options.snapshot.reason = "create";
    adopt_options.snapshot.progress = request.progress;
    outcome.snapshot = ENVPIN_TRY(adopt(store, adopt_options));
    return {};
}

} // namespace

Expected<void> check_creatable(const CreateRequest& request)
{
    ENVPIN_TRY(check_environment_name(request.name));
    std::error_code ec;
    if (request.path.empty())
        return fail(ErrorCode::bad_input, "--path: empty");
    if (fs::exists(fs::symlink_status(request.path, ec)))
        return fail(ErrorCode::already_exists,
                    "{} already exists (create makes a new environment; `envpin adopt` "
                    "takes an existing one under management)",
                    request.path.string());
    for (const auto& extra : request.extras)
        ENVPIN_TRY_CTX("--with", validate_requirement(extra));
    if (request.stack)
        for (const auto& artifact : locked_artifacts(*request.stack))
            ENVPIN_TRY(validate_artifact(artifact));
    return {};
}

std::vector<ResolvedArtifact> locked_artifacts(const Lock& lock)
{
    std::vector<ResolvedArtifact> artifacts;
    for (const auto& installed : lock.installed) {
        if (installed.sha256.empty())
            return {};
        artifacts.push_back({normalize_name(installed.name), installed.version,
                             installed.sha256, installed.source});
    }
    return artifacts;
}

Expected<std::vector<ResolvedArtifact>> resolve_environment(const CreateRequest& request)
{
    if (!request.stack)
        return fail(ErrorCode::internal, "resolve_environment needs a stack");
    for (const auto& extra : request.extras)
        ENVPIN_TRY_CTX("requirements", validate_requirement(extra));
    const auto& lock = *request.stack;
    InstallStep step;
    step.requirements = torch_family_requirements(lock, request.offline && request.pypi_build);
    step.requirements.insert(step.requirements.end(), request.extras.begin(), request.extras.end());
    for (const auto& pin : stack_requirements(lock, request.offline && request.pypi_build))
        if (!pin.unlabelled_ok)
            step.constraints.push_back(pin.requirement_text());
    step.source = request.offline ? offline_source(request)
                                  : PackageSource{.index_url = lock.stack.index_url,
                                                  .find_links = request.find_links,
                                                  .fallback_index_url = request.extras_index};
    const ScratchDirectory scratch;
    if (scratch.path().empty())
        return fail(ErrorCode::io, "cannot make a scratch directory in {}", fs::temp_directory_path().string());
    const Installer installer(request.installer, scratch.path());
    auto artifacts = ENVPIN_TRY(installer.resolve(step, lock.stack.python));
    std::ranges::sort(artifacts, {}, &ResolvedArtifact::name);
    return artifacts;
}

Expected<CreateOutcome> create_environment(const StoreOptions& store, CreateRequest request)
{
    request.path = fs::absolute(request.path).lexically_normal();
    ENVPIN_TRY(take_back_killed_create(store, request.path));
    ENVPIN_TRY(check_creatable(request));
    ENVPIN_TRY(check_name_free(store, request.name));
    const ScratchDirectory scratch;
    if (scratch.path().empty())
        return fail(ErrorCode::io, "cannot make a scratch directory in {}",
                    fs::temp_directory_path().string());
    const Installer installer(request.installer, scratch.path(), request.installer_progress);
    const auto top = first_missing_directory(request.path);
    const auto claim = ENVPIN_TRY(CreateClaim::take(top, request.path));  // outlives `made`
    MadeTree made(top);
    announce(request, fmt::format("creating {} ({}, python {})", request.path.string(),
                                  to_string(request.installer),
                                  request.python.empty() ? "3" : request.python));
    if (auto venv = installer.create_venv(request.path, request.python); !venv) {
        if (venv.error().code == ErrorCode::already_exists)
            made.keep(); // made by someone else since the check: not ours to remove
        return std::unexpected(venv.error());
    }
    CreateOutcome outcome;
    outcome.python_version = venv_python_version(request.path);
    ENVPIN_TRY_CTX(fmt::format("creating {} at {} (removed again, nothing recorded)", request.name,
                               request.path.string()),
                   install_and_record(store, request, installer, outcome));
    if (outcome.snapshot)
        made.keep();
    return outcome;
}

} // namespace envpin::store
