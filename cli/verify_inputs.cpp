#include "cli/verify_inputs.hpp"

#include "resolver/version.hpp"
#include "store/lifecycle/dist_info.hpp"

namespace envpin::cli {
namespace fs = std::filesystem;
namespace {

// The build a torch distribution is: its local label ("2.11.0+cu130"), or, for a wheel from
// PyPI, which carries no label ("2.11.0"), the release's PyPI default build.
std::string variant_of(const Catalog& catalog, const Version& torch)
{
    if (!torch.local_text().empty())
        return torch.local_text();
    const auto* release = find_release(catalog, torch.public_version());
    return release != nullptr && !release->pypi_default.empty() ? release->pypi_default : "cpu";
}

const TorchBuild* find_build(const Catalog& catalog, const Version& torch)
{
    const auto* release = find_release(catalog, torch.public_version());
    if (release == nullptr)
        return nullptr;
    const auto variant = variant_of(catalog, torch);
    for (const auto& build : release->builds)
        if (build.variant == variant)
            return &build;
    return nullptr;
}

void add_driver_needs(const Catalog& catalog, const Version& torch, const HostFacts& host,
                      verify::ExpectedStack& stack)
{
    const auto* variant = find_variant(catalog, variant_of(catalog, torch));
    if (variant == nullptr || !variant->cuda)
        return;
    const auto* release = find_cuda(catalog, *variant->cuda);
    if (release == nullptr)
        return;
    const auto* major = find_cuda_major(catalog, release->major());
    stack.min_driver = (major != nullptr ? major->compat_floor : release->driver).text();
    const auto driver = host.driver ? DriverVersion::parse(*host.driver) : std::nullopt;
    stack.minor_version_compat = driver && *driver < release->driver;
}

}  // namespace

verify::ExpectedStack expected_stack(const Catalog& catalog, const std::vector<store::Distribution>& distributions,
                                     const HostFacts& host)
{
    verify::ExpectedStack stack;
    for (const auto& distribution : distributions)
        stack.distributions[store::normalize_name(distribution.name)] = distribution.version;
    const auto torch_entry = stack.distributions.find("torch");
    if (torch_entry == stack.distributions.end())
        return stack;
    stack.torch = torch_entry->second;
    const auto torch = Version::parse(stack.torch);
    if (!torch)
        return stack;
    if (const auto* build = find_build(catalog, *torch); build != nullptr && build->arch_known)
        for (const auto& target : build->arch)
            stack.arch_list.push_back(to_string(target));
    add_driver_needs(catalog, *torch, host, stack);
    return stack;
}

verify::GpuReferences gpu_references(const Catalog& catalog, const HostFacts& host)
{
    verify::GpuReferences references;
    if (host.gpus.empty())
        return references;
    if (const auto* model = find_gpu(catalog, host.gpus.front().name); model != nullptr) {
        references.bandwidth_gbps = model->hbm_bandwidth_gbs;
        references.bf16_tflops = model->bf16_dense_tflops;
        references.tf32_tflops = model->tf32_dense_tflops;
        references.fp8_tflops = model->fp8_dense_tflops;
        references.fp32_tflops = model->fp32_tflops;
    }
    return references;
}

Expected<std::vector<store::Distribution>> installed_distributions(const fs::path& root)
{
    return store::installed_distributions(root);
}

}  // namespace envpin::cli
