#include "cli/render_resolve.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "base/strings.hpp"
#include "resolver/arch.hpp"

namespace envpin::cli {
namespace {

void row(std::ostream& out, std::string_view label, std::string_view value)
{
    fmt::print(out, "  {:<10} {}\n", label, value);
}

std::string describe_host(const HostFacts& host)
{
    std::string text =
        host.driver ? fmt::format("NVIDIA driver {}", *host.driver) : "no NVIDIA driver";
    if (!host.driver_source.empty() && host.driver_source != "--driver")
        text += fmt::format(" (from {})", host.driver_source);
    for (const auto& gpu : host.gpus)
        text += gpu.name.empty()
                    ? fmt::format(", GPU {} {}", gpu.index, sm_name(gpu.cc))
                    : fmt::format(", GPU {} {} {}", gpu.index, gpu.name, sm_name(gpu.cc));
    if (host.driver && host.gpus.empty())
        text += ", no GPU described";
    return text;
}

std::string describe_request(const Request& request)
{
    std::string text =
        fmt::format("torch \"{}\", cuda \"{}\"",
                    request.torch_text.empty() ? "*" : request.torch_text, request.cuda.text);
    if (request.python)
        text += fmt::format(", python \"{}\"", request.python->text);
    if (request.compat == CompatPolicy::native_only)
        text += ", native only";
    return text;
}

std::string driver_line(const Plan& plan)
{
    if (!plan.cuda)
        return "none needed (cpu build)";
    // The exact toolkit the build was made with ("12.6.3"), whose driver native use needs.
    const auto cuda = plan.toolkit.empty() ? plan.cuda->to_string() : plan.toolkit;
    if (!plan.host_driver)
        return fmt::format(">= {} (CUDA {} toolkit driver); no driver given",
                           plan.native_driver->text(), cuda);
    if (plan.compat == Compat::minor_version)
        return fmt::format("{} < {} (CUDA {} toolkit driver) but >= {} (CUDA {} minor-version "
                           "compatibility floor): "
                           "runs under minor-version compatibility",
                           plan.host_driver->text(), plan.native_driver->text(), cuda,
                           plan.min_driver->text(), plan.cuda->release().at(0));
    return fmt::format("{} >= {}, the CUDA {} toolkit driver: runs natively",
                       plan.host_driver->text(), plan.native_driver->text(), cuda);
}

std::string install_line(const Plan& plan)
{
    std::vector<std::string> parts;
    for (const auto& package : plan.packages) {
        const bool exact = !package.version.empty() &&
                           std::isdigit(static_cast<unsigned char>(package.version[0]));
        parts.push_back(exact ? package.name + "==" + package.version
                              : package.name + package.version);
    }
    return join(parts, " ");
}

void render_rejections(const std::vector<Rejection>& rejected, std::ostream& out)
{
    for (const auto& rejection : rejected)
        for (size_t i = 0; i < rejection.reasons.size(); ++i)
            fmt::print(out, "  {:<14} {}\n", i == 0 ? rejection.candidate : "",
                       rejection.reasons[i].text);
}

void render_plan(const Plan& plan, const Request& request, const HostFacts& host, Detail detail,
                 std::ostream& out)
{
    const auto mode =
        plan.cuda ? fmt::format("CUDA {}, {}", plan.cuda->to_string(), to_string(plan.compat))
                  : "cpu";
    fmt::print(out, "torch {}  ({})\n", plan.torch.to_string(), mode);
    row(out, "for", fmt::format("{}; {}", describe_request(request), describe_host(host)));
    row(out, "python", fmt::format("{}  ({})", plan.python, plan.python_reason));
    row(out, "index", plan.index_url);
    row(out, "install", install_line(plan));
    if (plan.cuda) {
        row(out, "libraries",
            fmt::format("cuDNN {}, NCCL {}, triton {}", plan.cudnn.value_or("unknown"),
                        plan.nccl.value_or("unknown"), plan.triton.value_or("none")));
        row(out, "driver", driver_line(plan));
    }
    for (const auto& line : plan.coverage)
        row(out, "kernels", line);
    for (const auto& warning : plan.warnings)
        fmt::print(out, "warning: {}\n", warning);
    if (detail == Detail::summary) {
        if (!plan.rejected.empty())
            fmt::print(out, "{} other candidates were not taken; --explain says why.\n",
                       plan.rejected.size());
        return;
    }
    if (plan.cuda)
        row(out, "arch", plan.arch_known ? to_string(plan.arch) : "not in the catalog");
    if (!plan.rests_on.empty()) {
        fmt::print(out, "\nCatalog facts behind this answer that lack a primary source:\n");
        for (const auto& ref : plan.rests_on)
            fmt::print(out, "  {} ({}){}\n", ref.subject, to_string(ref.fact.evidence),
                       ref.fact.note.empty() ? "" : ": " + ref.fact.note);
    }
    if (!plan.rejected.empty()) {
        fmt::print(out, "\nNot taken:\n");
        render_rejections(plan.rejected, out);
    }
}

void render_conflict(const Conflict& conflict, const Request& request, const HostFacts& host,
                     Detail detail, std::ostream& out)
{
    fmt::print(out, "No torch build works for {} on this host ({}):\n", describe_request(request),
               describe_host(host));
    for (const auto& line : conflict.summary)
        fmt::print(out, "  - {}\n", line);
    if (detail == Detail::summary) {
        fmt::print(out, "--explain lists all {} candidates and their reasons.\n",
                   conflict.rejected.size());
        return;
    }
    fmt::print(out, "\nCandidates:\n");
    render_rejections(conflict.rejected, out);
}

nlohmann::json optional_json(const std::optional<std::string>& value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json rejections_json(const std::vector<Rejection>& rejected)
{
    auto list = nlohmann::json::array();
    for (const auto& rejection : rejected) {
        std::vector<std::string> texts, causes;
        for (const auto& reason : rejection.reasons) {
            texts.push_back(reason.text);
            causes.emplace_back(to_string(reason.cause));
        }
        list.push_back({{"candidate", rejection.candidate},
                        {"reason", join(texts, "; ")},
                        {"causes", causes}});
    }
    return list;
}

nlohmann::json host_json(const HostFacts& host)
{
    auto gpus = nlohmann::json::array();
    for (const auto& gpu : host.gpus)
        gpus.push_back({{"index", gpu.index}, {"name", gpu.name}, {"cc", to_string(gpu.cc)}});
    return {{"driver", optional_json(host.driver)},
            {"driver_source", host.driver_source},
            {"gpus", gpus}};
}

nlohmann::json plan_json(const Plan& plan)
{
    nlohmann::json json = {
        {"status", "ok"},
        {"torch", plan.torch.to_string()},
        {"variant", plan.variant},
        {"cuda", plan.cuda ? nlohmann::json(plan.cuda->to_string()) : nlohmann::json(nullptr)},
        {"toolkit", plan.toolkit},
        {"python", plan.python},
        {"python_reason", plan.python_reason},
        {"cudnn", optional_json(plan.cudnn)},
        {"nccl", optional_json(plan.nccl)},
        {"triton", optional_json(plan.triton)},
        {"min_driver",
         plan.min_driver ? nlohmann::json(plan.min_driver->text()) : nlohmann::json(nullptr)},
        {"native_driver",
         plan.native_driver ? nlohmann::json(plan.native_driver->text()) : nlohmann::json(nullptr)},
        {"compat", plan.cuda ? nlohmann::json(to_string(plan.compat)) : nlohmann::json(nullptr)},
        {"index_url", plan.index_url},
        {"warnings", plan.warnings},
        {"coverage", plan.coverage},
        {"rejected", rejections_json(plan.rejected)}};
    json["arch"] =
        plan.arch_known ? nlohmann::json(nlohmann::json::array()) : nlohmann::json(nullptr);
    for (const auto& target : plan.arch)
        json["arch"].push_back(to_string(target));
    json["packages"] = nlohmann::json::array();
    for (const auto& package : plan.packages)
        json["packages"].push_back({{"name", package.name}, {"version", package.version}});
    json["pins"] = nlohmann::json::array();
    for (const auto& pin : plan.pins)
        json["pins"].push_back({{"role", pin.role},
                                {"name", pin.requirement.name},
                                {"version", pin.version_text()},
                                {"evidence", to_string(pin.fact.evidence)}});
    json["rests_on"] = nlohmann::json::array();
    for (const auto& ref : plan.rests_on)
        json["rests_on"].push_back({{"subject", ref.subject},
                                    {"evidence", to_string(ref.fact.evidence)},
                                    {"note", ref.fact.note}});
    return json;
}

nlohmann::json conflict_json(const Conflict& conflict)
{
    nlohmann::json json = {{"status", "conflict"},
                           {"summary", conflict.summary},
                           {"rejected", rejections_json(conflict.rejected)},
                           {"packages", nlohmann::json::array()},
                           {"warnings", nlohmann::json::array()}};
    for (const char* key : {"torch", "variant", "cuda", "python", "cudnn", "nccl", "triton",
                            "min_driver", "compat", "index_url"})
        json[key] = nullptr;
    return json;
}

} // namespace

void render_resolution(const Resolution& resolution, const Request& request, const HostFacts& host,
                       Detail detail, std::ostream& out)
{
    if (const auto* plan = std::get_if<Plan>(&resolution))
        render_plan(*plan, request, host, detail, out);
    else
        render_conflict(std::get<Conflict>(resolution), request, host, detail, out);
}

nlohmann::json resolution_to_json(const Resolution& resolution, const HostFacts& host)
{
    auto json = std::holds_alternative<Plan>(resolution)
                    ? plan_json(std::get<Plan>(resolution))
                    : conflict_json(std::get<Conflict>(resolution));
    json["host"] = host_json(host);
    return json;
}

} // namespace envpin::cli
