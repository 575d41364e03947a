#include "resolver/lock_fields.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "resolver/catalog.hpp"
#include "resolver/driver_version.hpp"
#include "resolver/requirement.hpp"
#include "resolver/specifier.hpp"
#include "resolver/version.hpp"

namespace envpin::lock_fields {
namespace {

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool printable_without_space(std::string_view text)
{
    return std::ranges::all_of(text, [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u != 0x7f && c != '"' && c != '\'' && c != '\\';
    });
}

bool is_version(std::string_view text) { return Version::parse(text).has_value(); }

bool is_version_or_specifier(std::string_view text)
{
    return is_version(text) || SpecifierSet::parse(text).has_value();
}

// "3.12", "3.12.4" or "3.13t" (free-threaded): a plain release.
bool is_python_version(std::string_view text)
{
    if (text.ends_with('t'))
        text.remove_suffix(1);
    return !text.empty() && std::isdigit(static_cast<unsigned char>(text.front())) && std::isdigit(static_cast<unsigned char>(text.back())) &&
           std::ranges::all_of(text, [](char c) { return c == '.' || std::isdigit(static_cast<unsigned char>(c)); });
}

// What a request field may hold (versions, specifiers, auto, cpu, 3.13t): the resolver parses
// it fully when the lock is checked; here nothing else reaches it (no ';', '/', quotes, '$').
bool is_request_text(std::string_view text)
{
    return std::ranges::all_of(text, [](char c) {
        return alnum(c) || std::string_view(" .*<>=!~,+-").find(c) != std::string_view::npos;
    });
}

// "cu130" -> "13.0", "cu118" -> "11.8"; nullopt for other variants.
std::optional<std::string> cuda_of_variant(std::string_view variant)
{
    if (!variant.starts_with("cu") || variant.size() < 5)
        return std::nullopt;
    const auto digits = variant.substr(2);
    if (!std::ranges::all_of(digits, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return std::nullopt;
    return fmt::format("{}.{}", digits.substr(0, digits.size() - 1), digits.substr(digits.size() - 1));
}

bool is_variant(std::string_view variant)
{
    if (variant == "cpu" || cuda_of_variant(variant))
        return true;
    return variant.starts_with("rocm") && variant.size() > 4 &&
           std::ranges::all_of(variant.substr(4), [](char c) { return c == '.' || std::isdigit(static_cast<unsigned char>(c)); });
}

std::string quoted(std::string_view text) { return fmt::format("\"{}\"", text); }

}  // namespace

bool is_distribution_name(std::string_view text)
{
    return !text.empty() && alnum(text.front()) && alnum(text.back()) &&
           std::ranges::all_of(text, [](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool is_index_url(std::string_view text)
{
    return (text.starts_with("https://") || text.starts_with("http://") || text.starts_with("file://")) &&
           text.size() > 8 && printable_without_space(text);
}

std::optional<std::string> check_request(const LockRequest& request)
{
    if (!is_request_text(request.python))
        return fmt::format("request.python {} is not a Python version or specifier (e.g. 3.12 or >=3.10)", quoted(request.python));
    if (!is_request_text(request.cuda))
        return fmt::format("request.cuda {} is not auto, cpu, a CUDA version or a specifier", quoted(request.cuda));
    if (!is_request_text(request.torch))
        return fmt::format("request.torch {} is not a version or specifier", quoted(request.torch));
    for (const auto& companion : request.companions)
        if (!is_distribution_name(companion))
            return fmt::format("request.companions: {} is not a distribution name", quoted(companion));
    for (const auto& requirement : request.requirements)
        if (!Requirement::parse(requirement) || requirement.find_first_of("\r\n") != std::string::npos ||
            requirement.starts_with("-"))
            return fmt::format("request.requirements: {} is not a PEP 508 requirement", quoted(requirement));
    return std::nullopt;
}

std::optional<std::string> check_stack(const LockStack& stack)
{
    if (!is_python_version(stack.python))
        return fmt::format("stack.python {} is not a Python version (e.g. 3.12)", quoted(stack.python));
    if (!is_variant(stack.variant))
        return fmt::format("stack.variant {} is not a torch build variant (cpu, cuXYZ or rocmX.Y)", quoted(stack.variant));
    if (const auto plus = stack.torch.find('+'); plus != std::string::npos && stack.torch.substr(plus + 1) != stack.variant)
        return fmt::format("stack.torch {} is a {} build but stack.variant is {}", quoted(stack.torch),
                           stack.torch.substr(plus + 1), quoted(stack.variant));
    const auto variant_cuda = cuda_of_variant(stack.variant);
    const auto same_minor = [&](const std::string& cuda) {
        return cuda == *variant_cuda || cuda.starts_with(*variant_cuda + ".");
    };
    if (variant_cuda && (!stack.cuda || !same_minor(*stack.cuda)))
        return fmt::format("stack.variant {} is a CUDA {} build but stack.cuda is {}", quoted(stack.variant), *variant_cuda,
                           stack.cuda ? quoted(*stack.cuda) : std::string("absent"));
    if (!variant_cuda && stack.cuda)
        return fmt::format("stack.variant {} has no CUDA but stack.cuda is {}", quoted(stack.variant), quoted(*stack.cuda));
    if (!is_index_url(stack.index_url))
        return fmt::format("stack.index_url {} is not an http(s) URL", quoted(stack.index_url));
    for (const auto* version : {&stack.cudnn, &stack.nccl, &stack.triton})
        if (*version && !is_version_or_specifier(**version))
            return fmt::format("stack: {} is not a version", quoted(**version));
    return std::nullopt;
}

std::optional<std::string> check_package(const LockPackage& package)
{
    if (!is_distribution_name(package.name))
        return fmt::format("package name {} is not a distribution name (installer options and URLs are not allowed)",
                           quoted(package.name));
    if (!is_version_or_specifier(package.version))
        return fmt::format("package {}: version {} is not a version or specifier", package.name, quoted(package.version));
    if (!is_index_url(package.index))
        return fmt::format("package {}: index {} is not an http(s) URL", package.name, quoted(package.index));
    return std::nullopt;
}

std::optional<std::string> check_pin(const LockPin& pin)
{
    if (pin.kind != "requires" && pin.kind != "installed-by-toolkit" && pin.kind != "bundled")
        return fmt::format("pin kind {} is not requires, installed-by-toolkit or bundled", quoted(pin.kind));
    if (!is_distribution_name(pin.name) || !is_distribution_name(pin.role))
        return fmt::format("pin {} / {} is not a distribution name", quoted(pin.role), quoted(pin.name));
    if (!is_version_or_specifier(pin.version))
        return fmt::format("pin {}: version {} is not a version or specifier", pin.name, quoted(pin.version));
    if (!parse_evidence(pin.evidence))
        return fmt::format("pin {}: evidence {} is not an evidence kind", pin.name, quoted(pin.evidence));
    return std::nullopt;
}

std::optional<std::string> check_installed(const InstalledDistribution& installed)
{
    if (!is_distribution_name(installed.name))
        return fmt::format("installed name {} is not a distribution name", quoted(installed.name));
    if (!is_version(installed.version))
        return fmt::format("installed {}: version {} is not a version", installed.name, quoted(installed.version));
    const bool hex = installed.sha256.size() == 64 && std::ranges::all_of(installed.sha256, [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
    });
    if (!installed.sha256.empty() && !hex)
        return fmt::format("installed {}: sha256 {} is not 64 lower-case hex digits", installed.name, quoted(installed.sha256));
    if (installed.source.starts_with("-") || std::ranges::any_of(installed.source, [](char c) {
            return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;  // no space: exports write it into requirements
        }))
        return fmt::format("installed {}: source {} is not a URL or path", installed.name, quoted(installed.source));
    return std::nullopt;
}

namespace {

// A GPU as a target or the lock names it: a catalog name, sm_XY or X.Y; checked against the
// catalog when the target is resolved or matched.
bool is_gpu_text(std::string_view text)
{
    return !text.empty() && alnum(text.front()) && std::ranges::all_of(text, [](char c) {
        return alnum(c) || std::string_view(" ._-").find(c) != std::string_view::npos;
    });
}

}  // namespace

std::optional<std::string> check_target(const Target& target)
{
    if (const auto wrong = target_name_problem(target.name))
        return "[[target]] " + *wrong;
    if (!target.driver.empty())
        if (const auto wrong = driver_requirement_problem(target.driver))
            return fmt::format("target {}: {}", target.name, *wrong);
    for (const auto& gpu : target.gpus)
        if (!is_gpu_text(gpu))
            return fmt::format("target {}: gpus {} is not a GPU name, sm_XY or X.Y", target.name, quoted(gpu));
    if (!is_request_text(target.cuda))
        return fmt::format("target {}: cuda {} is not auto, cpu, a CUDA version or a specifier", target.name,
                           quoted(target.cuda));
    if (!is_request_text(target.python))
        return fmt::format("target {}: python {} is not a Python version or specifier", target.name,
                           quoted(target.python));
    return std::nullopt;
}

std::optional<std::string> check_made_for(const MadeFor& made_for)
{
    for (const auto& gpu : made_for.gpus)
        if (!gpu.starts_with("sm_") || !is_gpu_text(gpu))
            return fmt::format("made_for.gpus {} is not sm_XY", quoted(gpu));
    if (!made_for.python3.empty() && !is_python_version(made_for.python3))
        return fmt::format("made_for.python3 {} is not a Python version", quoted(made_for.python3));
    return std::nullopt;
}

std::optional<std::string> check_target_section(const Lock& section)
{
    if (!section.target || section.stack.variant == "cpu")
        return std::nullopt;
    const auto& target = *section.target;
    if (target.cuda == "cpu" || target.cuda == "none")
        return fmt::format("target {} asks for cuda \"cpu\" but its stack is torch {}", target.name, section.stack.torch);
    if (target.driver.empty())
        return fmt::format("target {} is for hosts without an NVIDIA driver but its stack is torch {}", target.name,
                           section.stack.torch);
    const auto floor = driver_requirement_floor(target.driver);
    const auto needed = section.host.min_driver ? DriverVersion::parse(*section.host.min_driver) : std::nullopt;
    const auto allowed = floor ? DriverVersion::parse(*floor) : std::nullopt;
    if (needed && allowed && *allowed < *needed)
        return fmt::format("target {} allows driver {} but its stack needs >= {}", target.name, *floor,
                           *section.host.min_driver);
    return std::nullopt;
}

}  // namespace envpin::lock_fields
