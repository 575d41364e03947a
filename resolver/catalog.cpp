#include "resolver/catalog.hpp"

#include <algorithm>
#include <array>

#include "base/strings.hpp"

namespace envpin {
namespace {

constexpr std::array<std::string_view, 5> k_evidence_names{"sourced", "verified", "secondary",
                                                           "unverified", "conflict"};

// Lower case, single spaces, without a leading "NVIDIA", "Tesla" or "GeForce".
std::string normalize_gpu_name(std::string_view name)
{
    std::vector<std::string> words;
    for (auto word : split_whitespace(trim(name)))
        words.push_back(to_lower(word));
    for (const char* prefix : {"nvidia", "tesla", "geforce"})
        if (!words.empty() && words.front() == prefix)
            words.erase(words.begin());
    return join(words, " ");
}

} // namespace

std::string_view to_string(Evidence evidence)
{
    return k_evidence_names[static_cast<size_t>(evidence)];
}

std::optional<Evidence> parse_evidence(std::string_view text)
{
    for (size_t i = 0; i < k_evidence_names.size(); ++i)
        if (k_evidence_names[i] == text)
            return static_cast<Evidence>(i);
    return std::nullopt;
}

bool is_weak(Evidence evidence)
{
    return evidence == Evidence::secondary || evidence == Evidence::unverified ||
           evidence == Evidence::conflict;
}

Fact fact_of(const Facts& facts, std::string_view field)
{
    const auto found = facts.find(field);
    return found == facts.end() ? Fact{} : found->second;
}

std::string Pin::version_text() const
{
    if (auto exact = requirement.pinned_version())
        return exact->to_string();
    return requirement.specifier.to_string();
}

std::string pin_role(std::string_view distribution)
{
    std::string role = normalize_name(distribution);
    if (role.starts_with("nvidia-"))
        role.erase(0, 7);
    for (const char* suffix : {"-cu11", "-cu12", "-cu13"})
        if (role.ends_with(suffix))
            role.erase(role.size() - 5);
    return role;
}

bool TorchRelease::companions_built_for(std::string_view python) const
{
    return std::ranges::find(torch_only_python, python) == torch_only_python.end();
}

const Variant* find_variant(const Catalog& catalog, std::string_view name)
{
    const auto found = std::ranges::find(catalog.variants, name, &Variant::name);
    return found == catalog.variants.end() ? nullptr : &*found;
}

const CudaRelease* find_cuda(const Catalog& catalog, const Version& version)
{
    const auto found = std::ranges::find(catalog.cuda, version, &CudaRelease::version);
    return found == catalog.cuda.end() ? nullptr : &*found;
}

const CudaMajor* find_cuda_major(const Catalog& catalog, int major)
{
    const auto found = std::ranges::find(catalog.cuda_majors, major, &CudaMajor::major);
    return found == catalog.cuda_majors.end() ? nullptr : &*found;
}

const TorchRelease* find_release(const Catalog& catalog, const Version& version)
{
    const auto found = std::ranges::find(catalog.releases, version, &TorchRelease::version);
    return found == catalog.releases.end() ? nullptr : &*found;
}

const GpuArchitecture* find_architecture(const Catalog& catalog, ComputeCapability cc)
{
    const auto found = std::ranges::find_if(catalog.architectures, [&](const auto& arch) {
        return std::ranges::find(arch.cc, cc) != arch.cc.end();
    });
    return found == catalog.architectures.end() ? nullptr : &*found;
}

const DriverVersion& toolkit_driver(const CudaRelease& cuda, std::string_view toolkit)
{
    const auto update = cuda.updates.find(std::string(toolkit));
    return update == cuda.updates.end() ? cuda.driver : update->second;
}

long long driver_branch(const DriverVersion& driver)
{
    return driver.components().empty() ? 0 : driver.components().front();
}

const GpuModel* find_gpu(const Catalog& catalog, std::string_view name)
{
    const auto wanted = normalize_gpu_name(name);
    if (wanted.empty())
        return nullptr;
    for (const auto& gpu : catalog.gpus) {
        if (normalize_gpu_name(gpu.name) == wanted)
            return &gpu;
        for (const auto& alias : gpu.aliases)
            if (normalize_gpu_name(alias) == wanted)
                return &gpu;
    }
    return nullptr;
}

const GpuModel* find_gpu_by_cc(const Catalog& catalog, ComputeCapability cc)
{
    const auto found = std::ranges::find(catalog.gpus, cc, &GpuModel::cc);
    return found == catalog.gpus.end() ? nullptr : &*found;
}

Expected<Catalog> default_catalog()
{
    return parse_catalog(default_catalog_text(), "the built-in catalog");
}

} // namespace envpin
