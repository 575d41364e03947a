#include "resolver/resolve.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "resolver/candidate.hpp"

namespace envpin {

std::string_view to_string(Cause cause)
{
    switch (cause) {
    case Cause::cuda_spec:
        return "cuda";
    case Cause::no_driver:
        return "no-driver";
    case Cause::driver:
        return "driver";
    case Cause::driver_branch:
        return "driver-branch";
    case Cause::native_only:
        return "native-only";
    case Cause::gpu:
        return "gpu";
    case Cause::python:
        return "python";
    case Cause::companion:
        return "companion";
    case Cause::not_chosen:
        return "not-chosen";
    }
    return "";
}

std::string_view to_string(Compat compat)
{
    switch (compat) {
    case Compat::none:
        return "none";
    case Compat::native:
        return "native";
    case Compat::minor_version:
        return "minor-version";
    }
    return "";
}

const PythonInfo* host_python3(const HostFacts& facts)
{
    const auto python3 = std::ranges::find_if(facts.pythons, [](const PythonInfo& python) {
        return python.path == "python3" || python.path.ends_with("/python3");
    });
    return python3 != facts.pythons.end() ? &*python3 : facts.pythons.empty() ? nullptr : &facts.pythons[0];
}

namespace {

using detail::Evaluation;
using detail::HostView;

Expected<HostView> host_view(const HostFacts& facts)
{
    HostView host;
    if (facts.driver) {
        host.driver = DriverVersion::parse(*facts.driver);
        if (!host.driver)
            return fail(ErrorCode::bad_input,
                        "driver '{}' (from {}) is not an NVIDIA driver version", *facts.driver,
                        facts.driver_source.empty() ? "host facts" : facts.driver_source);
    }
    host.gpus = facts.gpus;
    const auto* chosen = host_python3(facts);
    if (chosen != nullptr) {
        const auto parts = split(chosen->version, '.');
        if (parts.size() >= 2)
            host.python = fmt::format("{}.{}", parts[0], parts[1]);
        host.python_full = chosen->version;
    }
    return host;
}

Rejection rejection_of(const Evaluation& e)
{
    return Rejection{e.candidate, e.reasons};
}

void add_fact(std::vector<FactRef>& facts, std::string subject, const Fact& fact)
{
    if (is_weak(fact.evidence))
        facts.push_back({std::move(subject), fact});
}

// Every non-primary catalog value the choice depends on.
std::vector<FactRef> rests_on(const Evaluation& e, const HostView& host, const Catalog& catalog)
{
    std::vector<FactRef> facts;
    const auto release = e.release->version.to_string();
    for (const auto& [field, fact] : e.build->facts)
        add_fact(facts, fmt::format("{} {}", e.candidate, field), fact);
    for (const auto& [field, fact] : e.release->facts)
        if (field != "pypi_default" && (field != "triton" || e.cuda != nullptr))
            add_fact(facts, fmt::format("torch {} {}", release, field), fact);
    if (e.cuda != nullptr && e.compat == Compat::native)
        add_fact(facts, fmt::format("CUDA {} toolkit driver", e.toolkit),
                 fact_of(e.cuda->facts, e.cuda->updates.contains(e.toolkit) ? "updates" : "driver"));
    for (const auto& gpu : host.gpus)
        if (const auto* model = find_gpu(catalog, gpu.name))
            add_fact(facts, fmt::format("{} compute capability", model->name),
                     fact_of(model->facts, "cc"));
    return facts;
}

std::vector<Package> packages_of(const Evaluation& e)
{
    const auto local = "+" + e.build->variant;
    std::vector<Package> packages{{"torch", e.candidate}};
    const bool paired = e.release->companions_built_for(e.python->version);
    const auto missing = [&](std::string_view name) {
        return !paired || std::ranges::find(e.build->missing, name) != e.build->missing.end();
    };
    if (!e.release->torchvision.empty() && !missing("torchvision"))
        packages.push_back({"torchvision", e.release->torchvision + local});
    if (!e.release->torchaudio.empty() && !missing("torchaudio"))
        packages.push_back({"torchaudio", e.release->torchaudio + local});
    if (e.cuda != nullptr && !e.release->triton.empty())
        packages.push_back({"triton", e.release->triton});
    for (const auto& pin : e.build->pins)
        if (pin.kind == Pin::Kind::requires_dist)
            packages.push_back({pin.requirement.name, pin.version_text()});
    return packages;
}

std::optional<std::string> pinned(const TorchBuild& build, std::string_view role)
{
    const auto found = std::ranges::find(build.pins, role, &Pin::role);
    if (found == build.pins.end())
        return std::nullopt;
    return found->version_text();
}

std::vector<std::string> warnings_of(const Evaluation& e, const HostView& host)
{
    std::vector<std::string> warnings;
    if (e.compat == Compat::minor_version)
        warnings.push_back(fmt::format(
            "driver {} is older than CUDA {}'s toolkit driver {}: this build runs under "
            "minor-version compatibility (no PTX JIT; features needing a newer driver fail "
            "with cudaErrorCallRequiresNewerDriver). --native-only refuses it; a driver "
            ">= {} runs it natively",
            host.driver->text(), e.toolkit, e.native_driver.text(), e.native_driver.text()));
    if (e.cuda != nullptr && host.gpus.empty())
        warnings.push_back("no GPU was described or found, so kernel coverage was not checked");
    if (e.python && !e.release->companions_built_for(e.python->version))
        warnings.push_back(fmt::format("torchvision and torchaudio are not built for Python {}: "
                                       "only torch is installed",
                                       e.python->version));
    if (e.python && e.python->experimental)
        warnings.push_back(fmt::format("Python {} is experimental for torch {}", e.python->version,
                                       e.release->version.to_string()));
    return warnings;
}

Plan make_plan(const Evaluation& e, const HostView& host, const Catalog& catalog)
{
    Plan plan;
    plan.torch = *Version::parse(e.candidate);
    plan.variant = e.build->variant;
    plan.index_url = e.variant->index_url;
    plan.toolkit = e.build->toolkit;
    plan.python = e.python->version;
    plan.python_reason = e.python->reason;
    plan.cudnn = pinned(*e.build, "cudnn");
    plan.nccl = pinned(*e.build, "nccl");
    plan.compat = e.compat;
    plan.host_driver = host.driver;
    if (e.cuda != nullptr) {
        plan.cuda = e.cuda->version;
        plan.native_driver = e.native_driver;
        plan.min_driver =
            e.compat == Compat::minor_version ? e.major->compat_floor : e.native_driver;
        if (!e.release->triton.empty())
            plan.triton = e.release->triton;
        if (e.compat == Compat::none)
            plan.compat =
                Compat::native; // no driver described with an explicit CUDA: plan for native
    }
    plan.arch = e.build->arch;
    plan.arch_known = e.build->arch_known;
    plan.coverage = e.coverage;
    plan.packages = packages_of(e);
    plan.pins = e.build->pins;
    plan.warnings = warnings_of(e, host);
    plan.rests_on = rests_on(e, host, catalog);
    return plan;
}

// Builds of the chosen release that were usable but lost to a newer CUDA.
void mark_not_chosen(std::vector<Evaluation>& evaluations, const Evaluation& chosen)
{
    for (auto& e : evaluations)
        if (e.release == chosen.release && e.usable() && &e != &chosen)
            e.reasons.push_back(
                {Cause::not_chosen,
                 fmt::format("usable ({}), but {} has the newer CUDA",
                             to_string(e.compat == Compat::none ? Compat::native : e.compat),
                             chosen.candidate)});
}

} // namespace

Expected<Resolution> resolve(const Catalog& catalog, const Request& request, const HostFacts& facts)
{
    const auto host = ENVPIN_TRY(host_view(facts));
    std::vector<Evaluation> evaluations;
    std::optional<size_t> chosen;
    for (const auto& release : catalog.releases) {
        for (const auto& build : release.builds) {
            const auto candidate =
                Version::parse(fmt::format("{}+{}", release.version.to_string(), build.variant));
            if (!candidate || !request.torch.contains(*candidate))
                continue;
            evaluations.push_back(detail::evaluate(catalog, request, host, release, build));
            if (!chosen && evaluations.back().usable())
                chosen = evaluations.size() - 1;
        }
        if (chosen)
            break; // policy step 3: the newest release with a usable build
    }
    if (!chosen) {
        Conflict conflict;
        conflict.summary = detail::summarize(evaluations, request, host);
        for (const auto& e : evaluations)
            conflict.rejected.push_back(rejection_of(e));
        return Resolution{std::move(conflict)};
    }
    const auto& choice = evaluations[*chosen];
    auto plan = make_plan(choice, host, catalog);
    mark_not_chosen(evaluations, choice);
    for (const auto& e : evaluations)
        if (&e != &choice)
            plan.rejected.push_back(rejection_of(e));
    return Resolution{std::move(plan)};
}

} // namespace envpin
