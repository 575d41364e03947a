// apply_overlay and diff_catalog: the overlay read against the built-in catalog.
#include <algorithm>

#include "base/strings.hpp"
#include "resolver/catalog_overlay.hpp"

namespace envpin {
namespace {

Fact index_fact(const OverlayBuild& build, const CatalogOverlay& overlay)
{
    return {Evidence::verified, fmt::format("read from {} on {}", build.index, overlay.updated)};
}

std::vector<Pin> requires_pins(const OverlayBuild& build, const Fact& fact)
{
    std::vector<Pin> pins;
    for (const auto& line : build.requires_dist)
        if (auto requirement = Requirement::parse(line))
            pins.push_back({Pin::Kind::requires_dist, pin_role(requirement->name), std::move(*requirement), fact});
    return pins;
}

// The variant named by an overlay build: the catalog's, or a cuNNN the catalog's CUDA table
// knows (added with the build's index); nullptr otherwise.
const Variant* known_variant(Catalog& catalog, const OverlayBuild& build)
{
    if (const auto* variant = find_variant(catalog, build.variant))
        return variant;
    const auto& name = build.variant;
    if (name.size() != 5 || !name.starts_with("cu") || !all_digits(name.substr(2)))
        return nullptr;
    const auto cuda = Version::parse(fmt::format("{}.{}", name.substr(2, 2), name.substr(4)));
    if (!cuda || find_cuda(catalog, *cuda) == nullptr)
        return nullptr;
    auto index = build.index;
    while (index.ends_with('/'))
        index.pop_back();
    catalog.variants.push_back({name, *cuda, index});
    return &catalog.variants.back();
}

// The newest build of `variant` whose arch list the catalog knows.
const TorchBuild* newest_with_arch(const Catalog& catalog, std::string_view variant, const Version** release)
{
    for (const auto& candidate : catalog.releases)
        for (const auto& build : candidate.builds)
            if (build.variant == variant && build.arch_known) {
                *release = &candidate.version;
                return &build;
            }
    return nullptr;
}

// The index's cuda-toolkit pin becomes the build's toolkit when the catalog knows that update's
// driver (the native driver check reads it); otherwise the toolkit stays unknown, and says why.
void set_toolkit(const Catalog& catalog, TorchBuild& build, const std::string& toolkit, const Fact& fact)
{
    const auto* variant = find_variant(catalog, build.variant);
    const auto* cuda = variant != nullptr && variant->cuda ? find_cuda(catalog, *variant->cuda) : nullptr;
    const auto version = Version::parse(toolkit);
    const bool ga = version && version->release().size() == 3 && version->release()[2] == 0;
    if (cuda != nullptr && version && version->base_version().release().size() >= 2 &&
        version->release()[0] == cuda->version.release()[0] && version->release()[1] == cuda->version.release()[1] &&
        (ga || cuda->updates.contains(toolkit))) {
        build.toolkit = toolkit;
        build.facts["toolkit"] = fact;
        return;
    }
    build.toolkit.clear();
    build.facts["toolkit"] = {Evidence::unverified,
                              fmt::format("the index pins cuda-toolkit {}, an update whose driver the catalog does not know", toolkit)};
}

TorchBuild new_build(const Catalog& catalog, const OverlayBuild& from)
{
    TorchBuild build;
    build.variant = from.variant;
    const Version* borrowed_from = nullptr;
    if (const auto* model = newest_with_arch(catalog, from.variant, &borrowed_from)) {
        build.arch = model->arch;
        build.facts["arch"] = {Evidence::unverified,
                               fmt::format("the index does not say; assumed from torch {}+{}, the newest build of this "
                                           "variant the built-in catalog knows",
                                           borrowed_from->to_string(), from.variant)};
    } else {
        build.arch_known = from.variant == "cpu";
    }
    if (!from.toolkit.empty())
        set_toolkit(catalog, build, from.toolkit, {});
    return build;
}

void apply_build(Catalog& catalog, TorchRelease& release, const OverlayBuild& from, const CatalogOverlay& overlay)
{
    auto found = std::ranges::find(release.builds, from.variant, &TorchBuild::variant);
    if (found == release.builds.end()) {
        release.builds.push_back(new_build(catalog, from));
        found = std::prev(release.builds.end());
    }
    auto& build = *found;
    const auto fact = index_fact(from, overlay);
    std::erase_if(build.pins, [](const Pin& pin) { return pin.kind == Pin::Kind::requires_dist; });
    auto pins = requires_pins(from, fact);
    build.pins.insert(build.pins.begin(), pins.begin(), pins.end());
    for (const auto& pin : pins)
        build.facts[pin.role] = fact;
    for (const char* doubt : {"pins", "exists"})
        build.facts.erase(doubt);
    if (!from.toolkit.empty() && build.toolkit != from.toolkit)
        set_toolkit(catalog, build, from.toolkit, fact);
    build.origin = fmt::format("{} ({})", from.index, overlay.updated);
}

// Newest CUDA first, cpu last, as the catalog keeps them.
void sort_builds(const Catalog& catalog, TorchRelease& release)
{
    auto cuda_of = [&](const TorchBuild& build) {
        const auto* variant = find_variant(catalog, build.variant);
        return variant != nullptr && variant->cuda ? *variant->cuda : Version{};
    };
    std::ranges::stable_sort(release.builds, [&](const TorchBuild& a, const TorchBuild& b) { return cuda_of(a) > cuda_of(b); });
}

void set_companion(TorchRelease& release, std::string& field, std::string_view name, const std::string& value,
                   const CatalogOverlay& overlay)
{
    if (value.empty() || field == value)
        return;
    field = value;
    release.facts[std::string(name)] = {Evidence::verified, fmt::format("read from the indexes on {}", overlay.updated)};
}

TorchRelease& release_in(Catalog& catalog, const OverlayRelease& from)
{
    auto found = std::ranges::find(catalog.releases, from.version, &TorchRelease::version);
    if (found != catalog.releases.end())
        return *found;
    TorchRelease release;
    release.version = from.version;
    catalog.releases.push_back(std::move(release));
    return catalog.releases.back();
}

} // namespace

Catalog apply_overlay(Catalog catalog, const CatalogOverlay& overlay, std::vector<std::string>& notes)
{
    for (const auto& from : overlay.releases) {
        std::vector<const OverlayBuild*> usable;
        for (const auto& build : from.builds) {
            if (known_variant(catalog, build) != nullptr)
                usable.push_back(&build);
            else
                notes.push_back(fmt::format("torch {}+{} from {}: the catalog knows no CUDA release for variant {}, so "
                                            "it is left out",
                                            from.version.to_string(), build.variant, build.index, build.variant));
        }
        if (usable.empty())
            continue;
        auto& release = release_in(catalog, from);
        for (const auto& python : from.python)
            if (std::ranges::find(release.python, python) == release.python.end())
                release.python.push_back(python);
        set_companion(release, release.torchvision, "torchvision", from.torchvision, overlay);
        set_companion(release, release.torchaudio, "torchaudio", from.torchaudio, overlay);
        set_companion(release, release.triton, "triton", from.triton, overlay);
        if (!from.pypi_default.empty())
            release.pypi_default = from.pypi_default;
        for (const auto* build : usable)
            apply_build(catalog, release, *build, overlay);
        sort_builds(catalog, release);
    }
    std::ranges::stable_sort(catalog.releases, std::greater{}, &TorchRelease::version);
    return catalog;
}

namespace {

void diff_values(std::vector<CatalogDifference>& out, const std::string& subject, std::string_view field,
                 const std::string& built_in, const std::string& index, Evidence evidence)
{
    if (!index.empty() && built_in != index)
        out.push_back({subject, std::string(field), built_in, index, evidence});
}

void diff_python(std::vector<CatalogDifference>& out, const std::string& subject, const TorchRelease& built_in,
                 const OverlayRelease& index)
{
    if (index.python.empty())
        return;
    for (const auto& python : index.python)
        if (std::ranges::find(built_in.python, python) == built_in.python.end())
            out.push_back({subject, "python", "", python, fact_of(built_in.facts, "python").evidence});
    for (const auto& python : built_in.python)
        if (std::ranges::find(index.python, python) == index.python.end())
            out.push_back({subject, "python", python, "", fact_of(built_in.facts, "python").evidence});
}

// The same requirement text up to the order of its clauses ("<14,>=13.0.3" is ">=13.0.3,<14").
bool same_version_text(const std::string& a, const std::string& b)
{
    auto clauses = [](const std::string& text) {
        std::vector<std::string> parts;
        for (const auto part : split(text, ','))
            parts.emplace_back(trim(part));
        std::ranges::sort(parts);
        return parts;
    };
    return clauses(a) == clauses(b);
}

void diff_pins(std::vector<CatalogDifference>& out, const std::string& subject, const TorchBuild& built_in,
               const OverlayBuild& index)
{
    std::vector<std::string> seen;
    for (const auto& line : index.requires_dist) {
        const auto requirement = Requirement::parse(line);
        if (!requirement)
            continue;
        const auto role = pin_role(requirement->name);
        seen.push_back(role);
        const auto pin = std::ranges::find_if(built_in.pins, [&](const Pin& p) {
            return p.kind == Pin::Kind::requires_dist && p.role == role;
        });
        const Pin index_pin{Pin::Kind::requires_dist, role, *requirement, {}};
        const auto built_in_text = pin == built_in.pins.end() ? std::string() : pin->version_text();
        const auto evidence = pin == built_in.pins.end() ? fact_of(built_in.facts, "pins").evidence : pin->fact.evidence;
        if (!same_version_text(built_in_text, index_pin.version_text()))
            out.push_back({subject, role, built_in_text, index_pin.version_text(), evidence});
    }
    for (const auto& pin : built_in.pins)
        if (pin.kind == Pin::Kind::requires_dist && std::ranges::find(seen, pin.role) == seen.end())
            out.push_back({subject, pin.role, pin.version_text(), "", pin.fact.evidence});
}

} // namespace

std::vector<CatalogDifference> diff_catalog(const Catalog& built_in, const CatalogOverlay& overlay)
{
    std::vector<CatalogDifference> out;
    for (const auto& release : overlay.releases) {
        const auto subject = "torch " + release.version.to_string();
        const auto* known = find_release(built_in, release.version);
        if (known == nullptr) {
            std::vector<std::string> variants;
            for (const auto& build : release.builds)
                variants.push_back(build.variant);
            out.push_back({subject, "release", "", join(variants, ", "), Evidence::sourced});
            continue;
        }
        diff_python(out, subject, *known, release);
        diff_values(out, subject, "torchvision", known->torchvision, release.torchvision, fact_of(known->facts, "torchvision").evidence);
        diff_values(out, subject, "torchaudio", known->torchaudio, release.torchaudio, fact_of(known->facts, "torchaudio").evidence);
        diff_values(out, subject, "triton", known->triton, release.triton, fact_of(known->facts, "triton").evidence);
        diff_values(out, subject, "pypi_default", known->pypi_default, release.pypi_default, fact_of(known->facts, "pypi_default").evidence);
        for (const auto& build : release.builds) {
            const auto build_subject = subject + "+" + build.variant;
            const auto found = std::ranges::find(known->builds, build.variant, &TorchBuild::variant);
            if (found == known->builds.end()) {
                out.push_back({build_subject, "build", "", build.index, Evidence::sourced});
                continue;
            }
            diff_values(out, build_subject, "toolkit", found->toolkit, build.toolkit, fact_of(found->facts, "toolkit").evidence);
            diff_pins(out, build_subject, *found, build);
        }
    }
    return out;
}

} // namespace envpin
