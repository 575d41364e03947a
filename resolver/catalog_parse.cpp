// Catalog TOML -> Catalog value. Structure errors name the line; references between tables
// (variant -> CUDA release, build -> variant) are left to check_catalog.
#include <algorithm>

#include "resolver/catalog.hpp"
#include "resolver/toml_reader.hpp"

namespace envpin {
namespace {

using toml_read::Reader;

Expected<Version> version_at(const Reader& reader, const toml::table& table, std::string_view key)
{
    const auto text = ENVPIN_TRY(reader.required_string(table, key));
    auto version = Version::parse(text);
    if (!version)
        return reader.error(*table.get(key),
                            fmt::format("'{}' = \"{}\" is not a PEP 440 version", key, text));
    return std::move(*version);
}

Expected<DriverVersion> driver_from(const Reader& reader, const toml::node& node,
                                    std::string_view text)
{
    auto driver = DriverVersion::parse(text);
    if (!driver)
        return reader.error(node,
                            fmt::format("\"{}\" is not a driver version (e.g. 570.26)", text));
    return std::move(*driver);
}

Expected<DriverVersion> driver_at(const Reader& reader, const toml::table& table,
                                  std::string_view key)
{
    const auto text = ENVPIN_TRY(reader.required_string(table, key));
    return driver_from(reader, *table.get(key), text);
}

Expected<Facts> facts_at(const Reader& reader, const toml::table& table)
{
    Facts facts;
    const auto* entries = ENVPIN_TRY(reader.table(table, "facts"));
    if (entries == nullptr)
        return facts;
    for (const auto& [field, node] : *entries) {
        const auto* entry = node.as_table();
        if (entry == nullptr)
            return reader.error(
                node, fmt::format("facts.{} must be {{ evidence = \"...\", note = \"...\" }}",
                                  field.str()));
        ENVPIN_TRY(reader.only_keys(*entry, "a fact", {"evidence", "note"}));
        const auto evidence_text = ENVPIN_TRY(reader.required_string(*entry, "evidence"));
        const auto evidence = parse_evidence(evidence_text);
        if (!evidence)
            return reader.error(node,
                                fmt::format("evidence \"{}\" is not one of sourced, verified, "
                                            "secondary, unverified, conflict",
                                            evidence_text));
        const auto note = ENVPIN_TRY(reader.string(*entry, "note"));
        facts.emplace(std::string(field.str()), Fact{*evidence, note.value_or("")});
    }
    return facts;
}

Expected<CudaMajor> parse_cuda_major(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[[cuda_major]]", {"major", "compat_floor", "sources"}));
    const auto major = ENVPIN_TRY(reader.integer(table, "major"));
    if (!major)
        return reader.error(table, "missing 'major' (an integer) in [[cuda_major]]");
    return CudaMajor{static_cast<int>(*major), ENVPIN_TRY(driver_at(reader, table, "compat_floor")),
                     ENVPIN_TRY(reader.strings(table, "sources"))};
}

Expected<CudaRelease> parse_cuda(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(
        reader.only_keys(table, "[[cuda]]", {"version", "driver", "updates", "base_image", "sources", "facts"}));
    CudaRelease release;
    release.version = ENVPIN_TRY(version_at(reader, table, "version"));
    if (release.version.release().size() != 2)
        return reader.error(table, "a [[cuda]] version is major.minor (\"12.8\")");
    release.driver = ENVPIN_TRY(driver_at(reader, table, "driver"));
    if (const auto* updates = ENVPIN_TRY(reader.table(table, "updates")))
        for (const auto& [name, node] : *updates) {
            const auto* text = node.as_string();
            if (text == nullptr)
                return reader.error(node,
                                    "updates map a release (\"12.8.1\") to its driver (a string)");
            release.updates.emplace(std::string(name.str()),
                                    ENVPIN_TRY(driver_from(reader, node, text->get())));
        }
    release.base_image = ENVPIN_TRY(reader.string(table, "base_image")).value_or("");
    if (!release.base_image.empty() && !release.base_image.starts_with("nvidia/cuda:" + release.version.to_string() + "."))
        return reader.error(*table.get("base_image"),
                            fmt::format("base_image must be an nvidia/cuda:{}.N-... image", release.version.to_string()));
    release.sources = ENVPIN_TRY(reader.strings(table, "sources"));
    release.facts = ENVPIN_TRY(facts_at(reader, table));
    return release;
}

Expected<Variant> parse_variant(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[[variant]]", {"name", "cuda", "index_url"}));
    Variant variant;
    variant.name = ENVPIN_TRY(reader.required_string(table, "name"));
    if (table.contains("cuda"))
        variant.cuda = ENVPIN_TRY(version_at(reader, table, "cuda"));
    variant.index_url = ENVPIN_TRY(reader.required_string(table, "index_url"));
    return variant;
}

Expected<TorchRelease> parse_release(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[[torch]]",
                                {"version", "python", "python_experimental", "torch_only_python",
                                 "torchvision", "torchaudio", "triton", "pypi_default", "sources",
                                 "facts"}));
    TorchRelease release;
    release.version = ENVPIN_TRY(version_at(reader, table, "version"));
    release.python = ENVPIN_TRY(reader.strings(table, "python"));
    release.python_experimental = ENVPIN_TRY(reader.strings(table, "python_experimental"));
    release.torch_only_python = ENVPIN_TRY(reader.strings(table, "torch_only_python"));
    release.torchvision = ENVPIN_TRY(reader.string(table, "torchvision")).value_or("");
    release.torchaudio = ENVPIN_TRY(reader.string(table, "torchaudio")).value_or("");
    release.triton = ENVPIN_TRY(reader.string(table, "triton")).value_or("");
    release.pypi_default = ENVPIN_TRY(reader.string(table, "pypi_default")).value_or("");
    release.sources = ENVPIN_TRY(reader.strings(table, "sources"));
    release.facts = ENVPIN_TRY(facts_at(reader, table));
    return release;
}

Expected<std::vector<ArchTarget>> arch_at(const Reader& reader, const toml::table& table)
{
    std::vector<ArchTarget> targets;
    for (const auto& text : ENVPIN_TRY(reader.strings(table, "arch"))) {
        auto target = parse_arch_target(text);
        if (!target)
            return reader.error(
                *table.get("arch"),
                fmt::format(
                    "\"{}\" is not an arch target: expected sm_XY (SASS) or compute_XY (PTX)",
                    text));
        targets.push_back(*target);
    }
    return targets;
}

Expected<std::vector<Pin>> pins_at(const Reader& reader, const toml::table& table,
                                   std::string_view key, Pin::Kind kind, const Facts& facts)
{
    std::vector<Pin> pins;
    for (const auto& line : ENVPIN_TRY(reader.strings(table, key))) {
        auto requirement = Requirement::parse(line);
        if (!requirement)
            return reader.error(*table.get(key), requirement.error().message);
        Pin pin{kind, pin_role(requirement->name), std::move(*requirement), {}};
        pin.fact = fact_of(facts, pin.role);
        pins.push_back(std::move(pin));
    }
    return pins;
}

Expected<std::vector<Pin>> bundled_at(const Reader& reader, const toml::table& table,
                                      const Facts& facts)
{
    std::vector<Pin> pins;
    const auto* bundled = ENVPIN_TRY(reader.table(table, "bundled"));
    if (bundled == nullptr)
        return pins;
    for (const auto& [role, node] : *bundled) {
        const auto* text = node.as_string();
        if (text == nullptr)
            return reader.error(node, "bundled maps a library (cudnn) to its version (a string)");
        auto requirement = Requirement::parse(fmt::format("{}=={}", role.str(), text->get()));
        if (!requirement)
            return reader.error(node, requirement.error().message);
        pins.push_back({Pin::Kind::bundled, std::string(role.str()), std::move(*requirement),
                        fact_of(facts, role.str())});
    }
    return pins;
}

// A [[build]] table, before it is copied into each release it names.
struct BuildEntry {
    std::vector<Version> torch;
    TorchBuild build;
};

Expected<BuildEntry> parse_build(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[[build]]",
                                {"torch", "variant", "toolkit", "arch", "requires", "installs",
                                 "bundled", "missing", "sources", "facts"}));
    BuildEntry entry;
    for (const auto& text : ENVPIN_TRY(reader.strings(table, "torch"))) {
        auto version = Version::parse(text);
        if (!version)
            return reader.error(*table.get("torch"),
                                fmt::format("\"{}\" is not a torch version", text));
        entry.torch.push_back(std::move(*version));
    }
    if (entry.torch.empty())
        return reader.error(table, "a [[build]] names its torch releases (torch = [\"2.7.1\"])");
    auto& build = entry.build;
    build.variant = ENVPIN_TRY(reader.required_string(table, "variant"));
    build.toolkit = ENVPIN_TRY(reader.string(table, "toolkit")).value_or("");
    build.facts = ENVPIN_TRY(facts_at(reader, table));
    build.arch = ENVPIN_TRY(arch_at(reader, table));
    build.arch_known = table.contains("arch") || build.variant == "cpu";
    build.pins =
        ENVPIN_TRY(pins_at(reader, table, "requires", Pin::Kind::requires_dist, build.facts));
    for (auto& pin : ENVPIN_TRY(
             pins_at(reader, table, "installs", Pin::Kind::installed_by_toolkit, build.facts)))
        build.pins.push_back(std::move(pin));
    for (auto& pin : ENVPIN_TRY(bundled_at(reader, table, build.facts)))
        build.pins.push_back(std::move(pin));
    build.missing = ENVPIN_TRY(reader.strings(table, "missing"));
    build.sources = ENVPIN_TRY(reader.strings(table, "sources"));
    return entry;
}

Expected<int> branch_at(const Reader& reader, const toml::table& table, std::string_view key)
{
    const auto branch = ENVPIN_TRY(reader.integer(table, key));
    if (!branch)
        return 0;
    if (*branch <= 0 || *branch > 9999)
        return reader.error(*table.get(key),
                            fmt::format("{} is a driver branch such as 580 (R580)", key));
    return static_cast<int>(*branch);
}

Expected<GpuArchitecture> parse_architecture(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[[architecture]]",
                                {"name", "cc", "min_driver_branch", "last_driver_branch",
                                 "sources", "facts"}));
    GpuArchitecture arch;
    arch.name = ENVPIN_TRY(reader.required_string(table, "name"));
    for (const auto& text : ENVPIN_TRY(reader.strings(table, "cc"))) {
        const auto cc = parse_compute_capability(text);
        if (!cc || text.find('.') == std::string::npos)
            return reader.error(
                *table.get("cc"),
                fmt::format("cc \"{}\" is not a compute capability (\"7.0\")", text));
        arch.cc.push_back(*cc);
    }
    if (arch.cc.empty())
        return reader.error(table, "an [[architecture]] lists its compute capabilities (cc)");
    arch.min_driver_branch = ENVPIN_TRY(branch_at(reader, table, "min_driver_branch"));
    arch.last_driver_branch = ENVPIN_TRY(branch_at(reader, table, "last_driver_branch"));
    arch.sources = ENVPIN_TRY(reader.strings(table, "sources"));
    arch.facts = ENVPIN_TRY(facts_at(reader, table));
    return arch;
}

Expected<GpuModel> parse_gpu(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[[gpu]]",
                                {"name", "aliases", "cc", "architecture", "first_cuda",
                                 "hbm_bandwidth_gbs", "bf16_dense_tflops", "tf32_dense_tflops",
                                 "fp8_dense_tflops", "fp32_tflops", "sources", "facts"}));
    GpuModel gpu;
    gpu.name = ENVPIN_TRY(reader.required_string(table, "name"));
    gpu.aliases = ENVPIN_TRY(reader.strings(table, "aliases"));
    const auto cc_text = ENVPIN_TRY(reader.required_string(table, "cc"));
    const auto cc = parse_compute_capability(cc_text);
    if (!cc || cc_text.find('.') == std::string::npos)
        return reader.error(
            *table.get("cc"),
            fmt::format("cc \"{}\" is not a compute capability (\"9.0\")", cc_text));
    gpu.cc = *cc;
    gpu.architecture = ENVPIN_TRY(reader.string(table, "architecture")).value_or("");
    gpu.first_cuda = ENVPIN_TRY(reader.string(table, "first_cuda")).value_or("");
    gpu.hbm_bandwidth_gbs = ENVPIN_TRY(reader.number(table, "hbm_bandwidth_gbs"));
    gpu.bf16_dense_tflops = ENVPIN_TRY(reader.number(table, "bf16_dense_tflops"));
    gpu.tf32_dense_tflops = ENVPIN_TRY(reader.number(table, "tf32_dense_tflops"));
    gpu.fp8_dense_tflops = ENVPIN_TRY(reader.number(table, "fp8_dense_tflops"));
    gpu.fp32_tflops = ENVPIN_TRY(reader.number(table, "fp32_tflops"));
    gpu.sources = ENVPIN_TRY(reader.strings(table, "sources"));
    gpu.facts = ENVPIN_TRY(facts_at(reader, table));
    return gpu;
}

template <class T, class Parse>
Expected<std::vector<T>> parse_all(const Reader& reader, const toml::table& root,
                                   std::string_view key, Parse parse)
{
    std::vector<T> values;
    for (const auto* table : ENVPIN_TRY(reader.tables(root, key)))
        values.push_back(ENVPIN_TRY(parse(reader, *table)));
    return values;
}

// Newest CUDA first, cpu (no CUDA) last, so resolution reads builds in preference order.
void order_builds(const Catalog& catalog, TorchRelease& release)
{
    const auto cuda_of = [&](const TorchBuild& build) {
        const auto* variant = find_variant(catalog, build.variant);
        return variant && variant->cuda ? *variant->cuda : *Version::parse("0");
    };
    std::ranges::stable_sort(release.builds, [&](const TorchBuild& a, const TorchBuild& b) {
        return cuda_of(a) > cuda_of(b);
    });
}

Expected<void> attach_builds(const Reader& reader, const toml::table& root, Catalog& catalog)
{
    for (const auto* table : ENVPIN_TRY(reader.tables(root, "build"))) {
        auto entry = ENVPIN_TRY(parse_build(reader, *table));
        for (const auto& version : entry.torch) {
            auto release = std::ranges::find(catalog.releases, version, &TorchRelease::version);
            if (release == catalog.releases.end())
                return reader.error(
                    *table, fmt::format("[[build]] names torch {}, which has no [[torch]] entry",
                                        version.to_string()));
            release->builds.push_back(entry.build);
        }
    }
    for (auto& release : catalog.releases)
        order_builds(catalog, release);
    return {};
}

} // namespace

Expected<Catalog> parse_catalog(std::string_view text, std::string_view origin)
{
    const Reader reader{origin};
    const auto root = ENVPIN_TRY(reader.parse(text));
    ENVPIN_TRY(reader.only_keys(
        root, "the catalog",
        {"format", "revision", "cuda_major", "cuda", "variant", "torch", "build", "architecture",
         "gpu"}));
    Catalog catalog;
    const auto format = ENVPIN_TRY(reader.integer(root, "format"));
    if (format != 1)
        return reader.error(fmt::format("unknown catalog format {} (this envpin reads format 1)",
                                        format ? std::to_string(*format) : "(missing)"));
    catalog.revision = ENVPIN_TRY(reader.string(root, "revision")).value_or("");
    catalog.cuda_majors =
        ENVPIN_TRY(parse_all<CudaMajor>(reader, root, "cuda_major", parse_cuda_major));
    catalog.cuda = ENVPIN_TRY(parse_all<CudaRelease>(reader, root, "cuda", parse_cuda));
    std::ranges::sort(catalog.cuda, {}, &CudaRelease::version);
    catalog.variants = ENVPIN_TRY(parse_all<Variant>(reader, root, "variant", parse_variant));
    catalog.releases = ENVPIN_TRY(parse_all<TorchRelease>(reader, root, "torch", parse_release));
    std::ranges::sort(catalog.releases, std::greater<>(), &TorchRelease::version);
    ENVPIN_TRY(attach_builds(reader, root, catalog));
    catalog.architectures = ENVPIN_TRY(
        parse_all<GpuArchitecture>(reader, root, "architecture", parse_architecture));
    catalog.gpus = ENVPIN_TRY(parse_all<GpuModel>(reader, root, "gpu", parse_gpu));
    return catalog;
}

} // namespace envpin
