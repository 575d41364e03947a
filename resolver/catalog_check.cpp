// Consistency checks over a parsed catalog: references resolve, nothing is listed twice, arch
// lists are well formed, pins agree with their variant's CUDA major.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "resolver/catalog.hpp"

namespace envpin {
namespace {

using Problems = std::vector<std::string>;

void check_cuda(const Catalog& catalog, Problems& problems)
{
    std::set<int> majors;
    for (const auto& major : catalog.cuda_majors)
        if (!majors.insert(major.major).second)
            problems.push_back(fmt::format("CUDA major {} is listed twice", major.major));
    for (size_t i = 0; i < catalog.cuda.size(); ++i) {
        const auto& release = catalog.cuda[i];
        const auto name = release.version.to_string();
        if (i > 0 && catalog.cuda[i - 1].version == release.version)
            problems.push_back(fmt::format("CUDA {} is listed twice", name));
        const auto* major = find_cuda_major(catalog, release.major());
        if (major == nullptr)
            problems.push_back(
                fmt::format("CUDA {} has no [[cuda_major]] entry (compatibility floor)", name));
        else if (release.driver < major->compat_floor)
            problems.push_back(
                fmt::format("CUDA {}'s driver {} is below its major's compatibility floor {}", name,
                            release.driver.text(), major->compat_floor.text()));
    }
}

// https://, or plain http:// only on this machine (a local mirror, or a test's index).
bool secure_index(std::string_view url)
{
    return url.starts_with("https://") || url.starts_with("http://127.0.0.1:") ||
           url.starts_with("http://127.0.0.1/") || url.starts_with("http://localhost:") ||
           url.starts_with("http://localhost/");
}

void check_variants(const Catalog& catalog, Problems& problems)
{
    std::set<std::string> names;
    for (const auto& variant : catalog.variants) {
        if (!names.insert(variant.name).second)
            problems.push_back(fmt::format("variant {} is listed twice", variant.name));
        if (!secure_index(variant.index_url) || !variant.index_url.ends_with("/" + variant.name))
            problems.push_back(fmt::format("variant {}: index URL {} should be https://.../{} (http:// "
                                           "only on 127.0.0.1 or localhost)",
                                           variant.name, variant.index_url, variant.name));
        if (!variant.cuda) {
            if (variant.name != "cpu")
                problems.push_back(fmt::format("variant {} names no CUDA release", variant.name));
            continue;
        }
        if (find_cuda(catalog, *variant.cuda) == nullptr)
            problems.push_back(
                fmt::format("variant {} names CUDA {}, which the catalog does not list",
                            variant.name, variant.cuda->to_string()));
        const auto& release = variant.cuda->release();
        if (release.size() == 2 && variant.name != fmt::format("cu{}{}", release[0], release[1]))
            problems.push_back(fmt::format("variant {} does not match its CUDA {}", variant.name,
                                           variant.cuda->to_string()));
    }
}

bool well_formed_python(std::string_view text)
{
    if (text.ends_with('t'))
        text.remove_suffix(1);
    const auto parts = split(text, '.');
    return parts.size() == 2 && parts[0] == "3" && all_digits(parts[1]);
}

void check_arch(const std::string& where, const TorchBuild& build, const Variant* variant,
                Problems& problems)
{
    if (!variant || !variant->cuda) {
        if (!build.arch.empty() || !build.pins.empty())
            problems.push_back(
                fmt::format("{}: a cpu build carries no GPU code and no nvidia-* pins", where));
        return;
    }
    if (build.arch_known && build.arch.empty())
        problems.push_back(fmt::format("{}: empty arch list", where));
    for (size_t i = 1; i < build.arch.size(); ++i)
        if (!(build.arch[i - 1] < build.arch[i]))
            problems.push_back(fmt::format("{}: arch list not in ascending order or repeated at {}",
                                           where, to_string(build.arch[i])));
    for (const auto& target : build.arch) {
        if (target.kind == CodeKind::ptx &&
            std::ranges::find(build.arch, ArchTarget{target.cc, CodeKind::sass}) ==
                build.arch.end())
            problems.push_back(
                fmt::format("{}: {} without the matching SASS (+PTX adds PTX to a listed arch)",
                            where, to_string(target)));
        // CUDA 13 can no longer compile for Maxwell, Pascal or Volta.
        if (variant->cuda->release().at(0) >= 13 && target.cc < ComputeCapability{7, 5})
            problems.push_back(
                fmt::format("{}: {} cannot be built by CUDA 13", where, to_string(target)));
    }
}

void check_pins(const std::string& where, const TorchBuild& build, const Variant* variant,
                Problems& problems)
{
    std::set<std::pair<int, std::string>> roles;
    for (const auto& pin : build.pins) {
        if (!roles.insert({static_cast<int>(pin.kind), pin.role}).second)
            problems.push_back(fmt::format("{}: {} is pinned twice", where, pin.role));
        if (!variant || !variant->cuda)
            continue;
        const auto major = variant->cuda->release().at(0);
        const auto& name = pin.requirement.name;
        for (long long other : {11LL, 12LL, 13LL})
            if (other != major && name.ends_with(fmt::format("-cu{}", other)))
                problems.push_back(fmt::format("{}: {} is for CUDA {}, the variant for CUDA {}",
                                               where, name, other, major));
    }
}

// A build's toolkit belongs to its variant's CUDA release, and an update other than .0 is one the
// release lists: the native driver check reads that update's toolkit driver.
void check_toolkit(const Catalog& catalog, const std::string& where, const TorchBuild& build,
                   const Variant* variant, Problems& problems)
{
    if (build.toolkit.empty() || !variant || !variant->cuda)
        return;
    const auto toolkit = Version::parse(build.toolkit);
    const auto& release = variant->cuda->release();
    if (!toolkit || toolkit->release().size() < 2 || toolkit->release().size() > 3 ||
        toolkit->release()[0] != release[0] || toolkit->release()[1] != release[1]) {
        problems.push_back(fmt::format("{}: toolkit {} is not a CUDA {} release", where,
                                       build.toolkit, variant->cuda->to_string()));
        return;
    }
    const auto* cuda = find_cuda(catalog, *variant->cuda);
    if (cuda && toolkit->release().size() == 3 && toolkit->release()[2] != 0 &&
        !cuda->updates.contains(build.toolkit))
        problems.push_back(fmt::format("{}: toolkit {} is not among CUDA {}'s updates, so its "
                                       "driver is unknown",
                                       where, build.toolkit, variant->cuda->to_string()));
}

void check_release(const Catalog& catalog, const TorchRelease& release, Problems& problems)
{
    const auto version = release.version.to_string();
    std::set<std::string> variants;
    for (const auto& build : release.builds) {
        const auto where = fmt::format("torch {}+{}", version, build.variant);
        if (!variants.insert(build.variant).second)
            problems.push_back(fmt::format("{} is listed twice", where));
        const auto* variant = find_variant(catalog, build.variant);
        if (variant == nullptr)
            problems.push_back(fmt::format("{}: unknown variant {}", where, build.variant));
        check_arch(where, build, variant, problems);
        check_toolkit(catalog, where, build, variant, problems);
        check_pins(where, build, variant, problems);
    }
    // A release known only from the indexes read (the catalog overlay) lists what they served.
    const bool from_indexes_only = std::ranges::all_of(release.builds, [](const TorchBuild& b) { return !b.origin.empty(); });
    if (!variants.contains("cpu") && !from_indexes_only)
        problems.push_back(fmt::format("torch {} has no cpu build", version));
    if (release.python.empty())
        problems.push_back(fmt::format("torch {} lists no Python versions", version));
    for (const auto* list : {&release.python, &release.python_experimental})
        for (const auto& python : *list)
            if (!well_formed_python(python))
                problems.push_back(
                    fmt::format("torch {}: Python \"{}\" is not 3.N or 3.Nt", version, python));
    for (const auto& python : release.torch_only_python)
        if (std::ranges::find(release.python, python) == release.python.end() &&
            std::ranges::find(release.python_experimental, python) ==
                release.python_experimental.end())
            problems.push_back(fmt::format(
                "torch {}: torch_only_python \"{}\" is not among its Pythons", version, python));
    for (const auto* companion : {&release.torchvision, &release.torchaudio, &release.triton})
        if (!companion->empty() && !Version::parse(*companion))
            problems.push_back(fmt::format("torch {}: companion version \"{}\" is not a version",
                                           version, *companion));
}

void check_architectures(const Catalog& catalog, Problems& problems)
{
    std::set<std::string> names;
    std::set<ComputeCapability> ccs;
    for (const auto& arch : catalog.architectures) {
        if (!names.insert(arch.name).second)
            problems.push_back(fmt::format("architecture {} is listed twice", arch.name));
        for (const auto cc : arch.cc)
            if (!ccs.insert(cc).second)
                problems.push_back(fmt::format("compute capability {}.{} belongs to two "
                                               "architectures",
                                               cc.major, cc.minor));
        if (arch.min_driver_branch > 0 && arch.last_driver_branch > 0 &&
            arch.min_driver_branch > arch.last_driver_branch)
            problems.push_back(fmt::format("architecture {}: min_driver_branch {} is above "
                                           "last_driver_branch {}",
                                           arch.name, arch.min_driver_branch,
                                           arch.last_driver_branch));
    }
    for (const auto& gpu : catalog.gpus) {
        const auto* arch = find_architecture(catalog, gpu.cc);
        const auto named = std::ranges::find(catalog.architectures, gpu.architecture,
                                             &GpuArchitecture::name);
        if (named != catalog.architectures.end() && arch != &*named)
            problems.push_back(fmt::format("GPU {} is {}, but cc {}.{} is not among {}'s", gpu.name,
                                           gpu.architecture, gpu.cc.major, gpu.cc.minor,
                                           gpu.architecture));
    }
}

void check_gpus(const Catalog& catalog, Problems& problems)
{
    std::set<std::string> seen;
    for (const auto& gpu : catalog.gpus) {
        for (const auto& name : [&] {
                 auto names = gpu.aliases;
                 names.push_back(gpu.name);
                 return names;
             }()) {
            const auto* found = find_gpu(catalog, name);
            if (found != &gpu)
                problems.push_back(fmt::format("GPU name \"{}\" of {} also names {}", name,
                                               gpu.name, found ? found->name : "nothing"));
        }
        if (!seen.insert(gpu.name).second)
            problems.push_back(fmt::format("GPU {} is listed twice", gpu.name));
        for (const auto& peak : {gpu.hbm_bandwidth_gbs, gpu.bf16_dense_tflops, gpu.tf32_dense_tflops,
                                  gpu.fp8_dense_tflops, gpu.fp32_tflops})
            if (peak && *peak <= 0)
                problems.push_back(
                    fmt::format("GPU {}: reference peaks must be positive", gpu.name));
    }
}

} // namespace

std::vector<std::string> check_catalog(const Catalog& catalog)
{
    Problems problems;
    check_cuda(catalog, problems);
    check_variants(catalog, problems);
    for (size_t i = 0; i < catalog.releases.size(); ++i) {
        if (i > 0 && catalog.releases[i - 1].version == catalog.releases[i].version)
            problems.push_back(
                fmt::format("torch {} is listed twice", catalog.releases[i].version.to_string()));
        check_release(catalog, catalog.releases[i], problems);
    }
    check_architectures(catalog, problems);
    check_gpus(catalog, problems);
    return problems;
}

} // namespace envpin
