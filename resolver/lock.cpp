#include "resolver/lock.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.hpp"

namespace envpin {
namespace {

std::string_view kind_text(Pin::Kind kind)
{
    switch (kind) {
    case Pin::Kind::requires_dist:
        return "requires";
    case Pin::Kind::installed_by_toolkit:
        return "installed-by-toolkit";
    case Pin::Kind::bundled:
        return "bundled";
    }
    return "";
}

std::string show(const std::optional<std::string>& value)
{
    return value ? *value : "(none)";
}

void compare(std::vector<std::string>& lines, std::string_view field, const std::string& old,
             const std::string& fresh)
{
    if (old != fresh)
        lines.push_back(fmt::format("{}: {} -> {}", field, old.empty() ? "(none)" : old,
                                    fresh.empty() ? "(none)" : fresh));
}

void compare(std::vector<std::string>& lines, std::string_view field,
             const std::optional<std::string>& old, const std::optional<std::string>& fresh)
{
    if (old != fresh)
        lines.push_back(fmt::format("{}: {} -> {}", field, show(old), show(fresh)));
}

template <class T, class Describe>
void compare_lists(std::vector<std::string>& lines, std::string_view field,
                   const std::vector<T>& old, const std::vector<T>& fresh, Describe describe)
{
    for (const auto& entry : old)
        if (std::ranges::find(fresh, entry) == fresh.end())
            lines.push_back(fmt::format("{}: - {}", field, describe(entry)));
    for (const auto& entry : fresh)
        if (std::ranges::find(old, entry) == old.end())
            lines.push_back(fmt::format("{}: + {}", field, describe(entry)));
}

} // namespace

Lock lock_from_plan(const Plan& plan, const LockRequest& request)
{
    Lock lock;
    lock.request = request;
    lock.stack = {plan.torch.to_string(),
                  plan.variant,
                  plan.cuda ? std::optional(plan.cuda->to_string()) : std::nullopt,
                  plan.python,
                  plan.index_url,
                  plan.cudnn,
                  plan.nccl,
                  plan.triton};
    lock.host.compat = std::string(to_string(plan.compat));
    if (plan.min_driver)
        lock.host.min_driver = plan.min_driver->text();
    if (plan.native_driver)
        lock.host.native_driver = plan.native_driver->text();
    for (const auto& target : plan.arch)
        lock.host.arch.push_back(to_string(target));
    for (const auto& package : plan.packages) {
        const bool companion = package.name == "torchvision" || package.name == "torchaudio";
        if (companion &&
            std::ranges::find(request.companions, package.name) == request.companions.end())
            continue;
        const bool from_variant_index = companion || package.name == "torch";
        lock.packages.push_back({package.name, package.version,
                                 from_variant_index ? plan.index_url : std::string(k_pypi_index)});
    }
    for (const auto& pin : plan.pins)
        lock.pins.push_back({pin.role, pin.requirement.name, pin.version_text(),
                             std::string(kind_text(pin.kind)),
                             std::string(to_string(pin.fact.evidence))});
    return lock;
}

RequestText request_text(const LockRequest& request, std::string field_prefix, const std::optional<Target>& target)
{
    RequestText text;
    text.torch = request.torch;
    text.cuda = target && !target->cuda.empty() ? target->cuda : request.cuda;
    text.python = target && !target->python.empty() ? target->python : request.python;
    text.companions = request.companions;
    text.compat =
        request.native_only ? CompatPolicy::native_only : CompatPolicy::allow_minor_version;
    text.field_prefix = std::move(field_prefix);
    return text;
}

std::vector<std::string> lock_differences(const Lock& old, const Lock& fresh)
{
    std::vector<std::string> lines;
    compare(lines, "request.torch", old.request.torch, fresh.request.torch);
    compare(lines, "request.cuda", old.request.cuda, fresh.request.cuda);
    compare(lines, "request.python", old.request.python, fresh.request.python);
    compare(lines, "request.companions", join(old.request.companions, ", "),
            join(fresh.request.companions, ", "));
    compare(lines, "request.requirements", join(old.request.requirements, ", "), join(fresh.request.requirements, ", "));
    compare(lines, "request.native_only", std::string(old.request.native_only ? "true" : "false"),
            std::string(fresh.request.native_only ? "true" : "false"));
    const auto target_field = [](const std::optional<Target>& target, auto field) {
        return target ? field(*target) : std::string("(none)");
    };
    compare(lines, "target.name", target_field(old.target, [](const Target& t) { return t.name; }),
            target_field(fresh.target, [](const Target& t) { return t.name; }));
    compare(lines, "target.driver", target_field(old.target, [](const Target& t) { return t.driver; }),
            target_field(fresh.target, [](const Target& t) { return t.driver; }));
    compare(lines, "target.gpus", target_field(old.target, [](const Target& t) { return join(t.gpus, ", "); }),
            target_field(fresh.target, [](const Target& t) { return join(t.gpus, ", "); }));
    compare(lines, "target.cuda", target_field(old.target, [](const Target& t) { return t.cuda; }),
            target_field(fresh.target, [](const Target& t) { return t.cuda; }));
    compare(lines, "target.python", target_field(old.target, [](const Target& t) { return t.python; }),
            target_field(fresh.target, [](const Target& t) { return t.python; }));
    compare(lines, "stack.torch", old.stack.torch, fresh.stack.torch);
    compare(lines, "stack.cuda", old.stack.cuda, fresh.stack.cuda);
    compare(lines, "stack.python", old.stack.python, fresh.stack.python);
    compare(lines, "stack.index_url", old.stack.index_url, fresh.stack.index_url);
    compare(lines, "stack.cudnn", old.stack.cudnn, fresh.stack.cudnn);
    compare(lines, "stack.nccl", old.stack.nccl, fresh.stack.nccl);
    compare(lines, "stack.triton", old.stack.triton, fresh.stack.triton);
    compare(lines, "host.compat", old.host.compat, fresh.host.compat);
    compare(lines, "host.min_driver", old.host.min_driver, fresh.host.min_driver);
    compare(lines, "host.native_driver", old.host.native_driver, fresh.host.native_driver);
    compare(lines, "host.arch", join(old.host.arch, " "), join(fresh.host.arch, " "));
    compare_lists(lines, "package", old.packages, fresh.packages, [](const LockPackage& p) {
        return fmt::format("{} {} ({})", p.name, p.version, p.index);
    });
    compare_lists(lines, "pin", old.pins, fresh.pins, [](const LockPin& p) {
        return fmt::format("{} {} {} ({}, {})", p.role, p.name, p.version, p.kind, p.evidence);
    });
    return lines;
}

std::vector<std::string> lock_file_differences(const LockFile& old, const LockFile& fresh)
{
    if (!old.targeted() && !fresh.targeted()) {
        if (old.sections.empty() || fresh.sections.empty())
            return {"sections: the lock has none"};
        return lock_differences(old.sections.front(), fresh.sections.front());
    }
    std::vector<std::string> lines;
    if (old.targeted() != fresh.targeted())
        lines.push_back(fresh.targeted() ? "targets: (none) -> " + join(fresh.target_names(), ", ")
                                         : join(old.target_names(), ", ") + " -> (none)");
    for (const auto& section : fresh.sections) {
        const auto name = section.target ? section.target->name : std::string();
        const auto* before = old.section(name);
        if (before == nullptr) {
            if (section.target)
                lines.push_back(fmt::format("target {}: added", name));
            continue;
        }
        for (const auto& line : lock_differences(*before, section))
            lines.push_back(fmt::format("{}: {}", name, line));
    }
    for (const auto& section : old.sections)
        if (section.target && fresh.section(section.target->name) == nullptr)
            lines.push_back(fmt::format("target {}: removed", section.target->name));
    return lines;
}

std::vector<std::string> LockFile::target_names() const
{
    std::vector<std::string> names;
    for (const auto& section : sections)
        if (section.target)
            names.push_back(section.target->name);
    return names;
}

const Lock* LockFile::section(std::string_view target) const
{
    const auto found = std::ranges::find_if(sections, [&](const Lock& section) {
        return section.target ? section.target->name == target : target.empty();
    });
    return found == sections.end() ? nullptr : &*found;
}

} // namespace envpin
