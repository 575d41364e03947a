// derive_overlay: the wheels the indexes list, folded into releases and builds.
#include <algorithm>
#include <map>
#include <set>

#include "base/strings.hpp"
#include "resolver/catalog_overlay.hpp"
#include "resolver/marker.hpp"

namespace envpin {
namespace {

bool is_companion(std::string_view project)
{
    return project == "torchvision" || project == "torchaudio";
}

bool is_stack_pin(std::string_view name)
{
    const auto normal = normalize_name(name);
    return normal.starts_with("nvidia-") || normal.starts_with("cuda-");
}

bool is_variant_name(std::string_view name)
{
    return name == "cpu" || (name.size() == 5 && name.starts_with("cu") && all_digits(name.substr(2)));
}

// "13.0.2" -> "cu130".
std::string variant_of_cuda(const Version& cuda)
{
    const auto& release = cuda.release();
    if (release.size() < 2)
        return "";
    return fmt::format("cu{}{}", release[0], release[1]);
}

// The requirements that apply on Linux x86_64 for the newest Python the wheel is for.
std::vector<Requirement> linux_requirements(const IndexedWheel& wheel)
{
    auto pythons = wheel.name.cpython_versions();
    std::ranges::sort(pythons, [](const std::string& a, const std::string& b) {
        return Version::parse(a.substr(0, a.find('t'))) < Version::parse(b.substr(0, b.find('t')));
    });
    auto python = pythons.empty() ? std::string("3.12") : pythons.back();
    if (python.ends_with('t'))
        python.pop_back();
    const auto environment = MarkerEnvironment::linux_x86_64(python);
    std::vector<Requirement> applying;
    for (const auto& requirement : wheel.metadata->requires_dist)
        if (requirement.applies(environment))
            applying.push_back(requirement);
    return applying;
}

// The variant a torch wheel is: its local label, else its index's, else what its pins say
// (PyPI's plain torch wheel): cuda-toolkit==X or nvidia-cuda-runtime*==X, or cpu without either.
std::string torch_variant(const IndexedWheel& wheel, const std::vector<Requirement>& requirements)
{
    if (const auto label = wheel.name.version.local_text(); is_variant_name(label))
        return label;
    if (const auto from_index = index_variant(wheel.index); !from_index.empty())
        return from_index;
    for (const auto& requirement : requirements) {
        const auto normal = normalize_name(requirement.name);
        if (normal == "cuda-toolkit" || normal.starts_with("nvidia-cuda-runtime"))
            if (const auto pinned = requirement.pinned_version())
                return variant_of_cuda(*pinned);
    }
    return "cpu";
}

OverlayWheel overlay_wheel(const IndexedWheel& wheel)
{
    return {wheel.name.distribution, wheel.file.filename, wheel.file.url.text(), wheel.file.sha256,
            wheel.name.cpython_versions()};
}

void add_unique(std::vector<std::string>& into, const std::vector<std::string>& values)
{
    for (const auto& value : values)
        if (std::ranges::find(into, value) == into.end())
            into.push_back(value);
}

OverlayBuild& build_for(OverlayRelease& release, const std::string& variant, const std::string& index)
{
    for (auto& build : release.builds)
        if (build.variant == variant)
            return build;
    release.builds.push_back({variant, index, "", {}, {}});
    return release.builds.back();
}

OverlayRelease& release_for(std::vector<OverlayRelease>& releases, const Version& version)
{
    for (auto& release : releases)
        if (release.version == version)
            return release;
    releases.push_back({version, {}, "", "", "", "", {}});
    return releases.back();
}

void fold_torch(const IndexedWheel& wheel, std::vector<OverlayRelease>& releases)
{
    const auto requirements = linux_requirements(wheel);
    const auto variant = torch_variant(wheel, requirements);
    auto& release = release_for(releases, wheel.name.version.public_version());
    add_unique(release.python, wheel.name.cpython_versions());
    if (index_variant(wheel.index).empty() && wheel.name.version.local_text().empty())
        release.pypi_default = variant;
    auto& build = build_for(release, variant, wheel.index);
    if (build.index != wheel.index)
        return;  // a variant index and PyPI both serve it: the variant index's files are kept
    build.wheels.push_back(overlay_wheel(wheel));
    if (!build.requires_dist.empty() || !release.triton.empty())
        return;
    for (const auto& requirement : requirements) {
        if (normalize_name(requirement.name) == "triton" && requirement.pinned_version())
            release.triton = requirement.pinned_version()->to_string();
        else if (is_stack_pin(requirement.name)) {
            auto line = requirement;
            line.marker.reset();
            build.requires_dist.push_back(line.to_string());
            if (normalize_name(requirement.name) == "cuda-toolkit" && requirement.pinned_version())
                build.toolkit = requirement.pinned_version()->to_string();
        }
    }
}

// A companion names its torch exactly (torchvision 0.26.0 requires torch==2.11.0).
bool fold_companion(const IndexedWheel& wheel, std::vector<OverlayRelease>& releases, std::vector<std::string>& notes)
{
    std::optional<Version> torch;
    for (const auto& requirement : wheel.metadata->requires_dist)
        if (normalize_name(requirement.name) == "torch" && requirement.pinned_version())
            torch = requirement.pinned_version()->public_version();
    if (!torch) {
        notes.push_back(fmt::format("{}: its METADATA pins no torch release, so it pairs with none", wheel.file.filename));
        return false;
    }
    auto& release = release_for(releases, *torch);
    const auto version = wheel.name.version.public_version().to_string();
    (wheel.name.distribution == "torchvision" ? release.torchvision : release.torchaudio) = version;
    auto variant = wheel.name.version.local_text();
    if (!is_variant_name(variant))
        variant = index_variant(wheel.index);
    for (auto& build : release.builds)
        if (build.variant == variant && build.index == wheel.index)
            build.wheels.push_back(overlay_wheel(wheel));
    return true;
}

bool usable(const IndexedWheel& wheel, std::vector<std::string>& notes)
{
    const auto& project = wheel.name.distribution;
    if (project != "torch" && !is_companion(project))
        return false;
    if (wheel.file.yanked || !wheel.name.runs_on_linux_x86_64())
        return false;
    if (!wheel.metadata) {
        notes.push_back(fmt::format("{}: its METADATA could not be read, so it is left out", wheel.file.filename));
        return false;
    }
    return true;
}

} // namespace

std::string index_variant(std::string_view index_url)
{
    auto path = index_url.substr(0, index_url.find_first_of("?#"));
    while (path.ends_with('/'))
        path.remove_suffix(1);
    const auto last = path.substr(path.rfind('/') + 1);
    return is_variant_name(last) ? std::string(last) : std::string();
}

CatalogOverlay derive_overlay(const std::vector<IndexedWheel>& wheels, std::vector<std::string> indexes,
                              std::string updated, std::vector<std::string>& notes)
{
    CatalogOverlay overlay{std::move(updated), std::move(indexes), {}};
    std::vector<const IndexedWheel*> companions;
    for (const auto& wheel : wheels) {
        if (!usable(wheel, notes))
            continue;
        if (wheel.name.distribution == "torch")
            fold_torch(wheel, overlay.releases);
        else
            companions.push_back(&wheel);
    }
    // Companions after every torch wheel, so each finds its build.
    for (const auto* wheel : companions)
        fold_companion(*wheel, overlay.releases, notes);
    std::erase_if(overlay.releases, [](const OverlayRelease& release) { return release.builds.empty(); });
    std::ranges::sort(overlay.releases, std::greater{}, &OverlayRelease::version);
    for (auto& release : overlay.releases)
        std::ranges::sort(release.builds, {}, &OverlayBuild::variant);
    return overlay;
}

} // namespace envpin
