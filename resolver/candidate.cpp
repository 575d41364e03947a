// The checks of one candidate build, in the order of the resolution policy (docs/CLI.md, "Policy"), each failing check
// adding a sentence a CUDA expert would write.
#include "resolver/candidate.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.hpp"

namespace envpin::detail {
namespace {

std::string python_list(const TorchRelease& release)
{
    auto all = release.python;
    for (const auto& python : release.python_experimental)
        all.push_back(python + " (experimental)");
    return join(all, ", ");
}

bool is_free_threaded(const std::string& python)
{
    return python.ends_with('t');
}

// The newest regular build matching `spec` in `list`.
std::optional<std::string> newest_matching(const std::vector<std::string>& list,
                                           const SpecifierSet& spec)
{
    std::optional<std::string> best;
    for (const auto& python : list) {
        const auto version = Version::parse(python);
        if (is_free_threaded(python) || !version || !spec.contains(*version))
            continue;
        if (!best || *Version::parse(*best) < *version)
            best = python;
    }
    return best;
}

std::optional<PythonChoice> requested_python(const TorchRelease& release,
                                             const PythonRequest& request)
{
    if (!request.free_threaded.empty()) {
        if (std::ranges::find(release.python, request.free_threaded) != release.python.end())
            return PythonChoice{request.free_threaded, "asked for", false};
        if (std::ranges::find(release.python_experimental, request.free_threaded) !=
            release.python_experimental.end())
            return PythonChoice{request.free_threaded, "asked for", true};
        return std::nullopt;
    }
    if (auto regular = newest_matching(release.python, request.spec))
        return PythonChoice{*regular, fmt::format("newest matching {}", request.text), false};
    if (auto experimental = newest_matching(release.python_experimental, request.spec))
        return PythonChoice{*experimental, fmt::format("newest matching {}", request.text), true};
    return std::nullopt;
}

PythonChoice default_python(const TorchRelease& release, const HostView& host)
{
    if (!host.python.empty() &&
        std::ranges::find(release.python, host.python) != release.python.end())
        return {host.python, fmt::format("this host's python3 is {}", host.python_full)};
    const auto newest = newest_matching(release.python, SpecifierSet{}).value_or("");
    if (host.python.empty())
        return {newest, fmt::format("newest torch {} supports; no host python3 known",
                                    release.version.to_string())};
    return {newest,
            fmt::format("newest torch {} supports; this host's python3 {} is not among them",
                        release.version.to_string(), host.python_full)};
}

void check_cuda_request(const Request& request, const HostView& host, Evaluation& e)
{
    const auto& cuda = request.cuda;
    if (e.cuda == nullptr) {
        if (cuda.kind == CudaRequest::Kind::cuda)
            e.reasons.push_back({Cause::cuda_spec,
                                 fmt::format("a cpu build; cuda \"{}\" asks for CUDA", cuda.text)});
        else if (cuda.kind == CudaRequest::Kind::automatic && host.driver)
            e.reasons.push_back(
                {Cause::cuda_spec,
                 fmt::format("a cpu build; this host has NVIDIA driver {}, so "
                             "cuda \"auto\" wants CUDA (cuda \"cpu\" takes this build)",
                             host.driver->text())});
        return;
    }
    const auto version = e.cuda->version.to_string();
    if (cuda.kind == CudaRequest::Kind::cpu)
        e.reasons.push_back({Cause::cuda_spec,
                             fmt::format("a CUDA {} build; cuda \"cpu\" was asked for", version)});
    else if (cuda.kind == CudaRequest::Kind::cuda &&
             !cuda.spec.contains(e.cuda->version, PreReleases::include))
        e.reasons.push_back({Cause::cuda_spec, fmt::format("CUDA {} does not match cuda \"{}\"",
                                                           version, cuda.text)});
    else if (cuda.kind == CudaRequest::Kind::automatic && !host.driver)
        e.reasons.push_back({Cause::no_driver,
                             "a CUDA build, and this host has no NVIDIA driver (cuda \"auto\" "
                             "then takes the cpu build)"});
}

// Native use needs the toolkit driver of the exact toolkit the build was made with (12.6.3:
// 560.35.05, not 12.6 GA's 560.28.03); minor-version compatibility needs the major's floor.
void check_driver(const Request& request, const HostView& host, Evaluation& e)
{
    if (e.cuda == nullptr)
        return;
    const auto& native = e.native_driver;
    const auto& floor = e.major->compat_floor;
    if (!host.driver) {
        if (request.cuda.kind == CudaRequest::Kind::cuda)
            e.reasons.push_back({Cause::no_driver,
                                 fmt::format("needs an NVIDIA driver >= {} for CUDA {}; this host "
                                             "has none",
                                             native.text(), e.toolkit)});
        return;
    }
    const auto& driver = *host.driver;
    if (driver >= native) {
        e.compat = Compat::native;
        return;
    }
    if (driver < floor) {
        e.reasons.push_back(
            {Cause::driver,
             fmt::format("needs driver >= {} for CUDA {} (>= {} under minor-version "
                         "compatibility); this host has {}",
                         native.text(), e.toolkit, floor.text(), driver.text())});
        return;
    }
    e.compat = Compat::minor_version;
    if (request.compat == CompatPolicy::native_only)
        e.reasons.push_back({Cause::native_only,
                             fmt::format("driver {} runs CUDA {} only under minor-version "
                                         "compatibility (native needs >= {}), and --native-only "
                                         "is set",
                                         driver.text(), e.toolkit, native.text())});
}

// NVIDIA drivers support each GPU architecture over a range of branches: R580 is the last for
// Volta, R470 for Kepler. Any CUDA build needs a driver of a branch that drives every GPU.
void check_driver_branch(const Catalog& catalog, const HostView& host, Evaluation& e)
{
    if (e.cuda == nullptr || !host.driver)
        return;
    const auto branch = driver_branch(*host.driver);
    for (const auto& gpu : host.gpus) {
        const auto* arch = find_architecture(catalog, gpu.cc);
        if (arch == nullptr)
            continue;
        if (arch->last_driver_branch > 0 && branch > arch->last_driver_branch)
            e.reasons.push_back(
                {Cause::driver_branch,
                 fmt::format("NVIDIA's R{} driver branch is the last to support {} GPUs such as "
                             "{}: no driver >= {} does, and this host has {}",
                             arch->last_driver_branch, arch->name, describe_gpu(gpu),
                             arch->last_driver_branch + 1, host.driver->text())});
        if (arch->min_driver_branch > 0 && branch < arch->min_driver_branch)
            e.reasons.push_back(
                {Cause::driver_branch,
                 fmt::format("{} GPUs such as {} need a driver of the R{} branch or newer; this "
                             "host has {}",
                             arch->name, describe_gpu(gpu), arch->min_driver_branch,
                             host.driver->text())});
    }
}

std::string sass_needed(ComputeCapability cc)
{
    if (cc.minor == 0)
        return sm_name(cc);
    return fmt::format("{}..{}", sm_name({cc.major, 0}), sm_name(cc));
}

void check_gpus(const HostView& host, Evaluation& e)
{
    if (e.cuda == nullptr || host.gpus.empty())
        return;
    if (!e.build->arch_known) {
        e.reasons.push_back(
            {Cause::gpu, fmt::format("its arch list is not in the catalog ({}), so no GPU can be "
                                     "shown to have kernels in it",
                                     to_string(fact_of(e.build->facts, "arch").evidence))});
        return;
    }
    const auto jit = e.compat == Compat::minor_version ? PtxJit::not_allowed : PtxJit::allowed;
    for (const auto& gpu : host.gpus) {
        const auto served = coverage(e.build->arch, gpu.cc, jit);
        if (served.target) {
            e.used_ptx = e.used_ptx || served.target->kind == CodeKind::ptx;
            e.coverage.push_back(
                fmt::format("{}: {} {}", describe_gpu(gpu),
                            served.target->kind == CodeKind::sass ? "SASS" : "PTX (JIT)",
                            to_string(*served.target)));
        } else if (served.ptx_blocked) {
            e.reasons.push_back(
                {Cause::gpu,
                 fmt::format("no SASS for {}, and its PTX {} cannot be JIT-compiled under "
                             "minor-version compatibility (that needs driver >= {})",
                             describe_gpu(gpu), to_string(*served.ptx_blocked),
                             e.native_driver.text())});
        } else {
            e.reasons.push_back(
                {Cause::gpu, fmt::format("no kernel for {}: it carries {}, and no {} (or PTX <= "
                                         "compute_{}{})",
                                         describe_gpu(gpu), to_string(e.build->arch),
                                         sass_needed(gpu.cc), gpu.cc.major, gpu.cc.minor)});
        }
    }
}

void check_python(const Request& request, const HostView& host, Evaluation& e)
{
    if (!request.python) {
        e.python = default_python(*e.release, host);
        return;
    }
    e.python = requested_python(*e.release, *request.python);
    if (!e.python)
        e.reasons.push_back(
            {Cause::python,
             fmt::format("torch {} is built for Python {}; python \"{}\" was asked for",
                         e.release->version.to_string(), python_list(*e.release),
                         request.python->text)});
}

void check_companions(const Request& request, Evaluation& e)
{
    for (const auto& companion : request.companions) {
        const auto& version =
            companion == "torchvision" ? e.release->torchvision : e.release->torchaudio;
        if (version.empty() ||
            std::ranges::find(e.build->missing, companion) != e.build->missing.end())
            e.reasons.push_back(
                {Cause::companion, fmt::format("no {} is published for it", companion)});
        else if (e.python && !e.release->companions_built_for(e.python->version))
            e.reasons.push_back(
                {Cause::companion,
                 fmt::format("{} {} is not built for Python {} (only torch is)", companion,
                             version, e.python->version)});
    }
}

} // namespace

std::string describe_gpu(const GpuInfo& gpu)
{
    if (gpu.name.empty())
        return fmt::format("GPU {} ({})", gpu.index, sm_name(gpu.cc));
    return fmt::format("GPU {} ({}, {})", gpu.index, gpu.name, sm_name(gpu.cc));
}

Evaluation evaluate(const Catalog& catalog, const Request& request, const HostView& host,
                    const TorchRelease& release, const TorchBuild& build)
{
    Evaluation e;
    e.candidate = fmt::format("{}+{}", release.version.to_string(), build.variant);
    e.release = &release;
    e.build = &build;
    e.variant = find_variant(catalog, build.variant);
    if (e.variant && e.variant->cuda) {
        e.cuda = find_cuda(catalog, *e.variant->cuda);
        e.major = e.cuda ? find_cuda_major(catalog, e.cuda->major()) : nullptr;
        if (e.major == nullptr) {
            e.reasons.push_back(
                {Cause::cuda_spec, "the catalog lacks its CUDA release (run the catalog check)"});
            return e;
        }
        e.native_driver = toolkit_driver(*e.cuda, build.toolkit);
        e.toolkit = build.toolkit.empty() ? e.cuda->version.to_string() : build.toolkit;
    } else if (e.variant == nullptr) {
        e.reasons.push_back(
            {Cause::cuda_spec, "the catalog lacks its variant (run the catalog check)"});
        return e;
    }
    // A build of the wrong kind, or CUDA without a driver, is out whatever else holds.
    check_cuda_request(request, host, e);
    if (!e.reasons.empty())
        return e;
    check_driver(request, host, e);
    check_driver_branch(catalog, host, e);
    check_gpus(host, e);
    check_python(request, host, e);
    check_companions(request, e);
    return e;
}

} // namespace envpin::detail
