// The short answer of a failed resolution: one line per cause, counted over the candidates.
#include <algorithm>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "resolver/candidate.hpp"

namespace envpin::detail {
namespace {

using Evaluations = std::vector<Evaluation>;

bool has_cause(const Evaluation& e, Cause cause)
{
    return std::ranges::any_of(e.reasons, [&](const Reason& r) { return r.cause == cause; });
}

std::vector<const Evaluation*> with_cause(const Evaluations& evaluations, Cause cause)
{
    std::vector<const Evaluation*> found;
    for (const auto& e : evaluations)
        if (has_cause(e, cause))
            found.push_back(&e);
    return found;
}

// "all 6" or "4 of 6".
std::string how_many(size_t n, size_t total)
{
    return n == total ? fmt::format("all {}", n) : fmt::format("{} of {}", n, total);
}

size_t cuda_builds(const Evaluations& evaluations)
{
    return static_cast<size_t>(
        std::ranges::count_if(evaluations, [](const Evaluation& e) { return e.cuda != nullptr; }));
}

std::string variants_of(const Evaluations& evaluations)
{
    std::vector<std::string> names;
    for (const auto& e : evaluations)
        if (std::ranges::find(names, e.build->variant) == names.end())
            names.push_back(e.build->variant);
    return join(names, ", ");
}

void summarize_cuda_spec(const Evaluations& all, const Request& request,
                         std::vector<std::string>& lines)
{
    const auto found = with_cause(all, Cause::cuda_spec);
    if (found.empty())
        return;
    if (request.cuda.kind == CudaRequest::Kind::automatic)
        return; // the cpu builds: said last, as a way out (see summarize)
    lines.push_back(
        fmt::format("{} candidates do not match cuda \"{}\": torch \"{}\" is built for {}",
                    how_many(found.size(), all.size()), request.cuda.text,
                    request.torch_text.empty() ? "*" : request.torch_text, variants_of(all)));
}

void summarize_no_driver(const Evaluations& all, std::vector<std::string>& lines)
{
    const auto found = with_cause(all, Cause::no_driver);
    if (!found.empty())
        lines.push_back(fmt::format("this host has no NVIDIA driver, and {} CUDA builds need one",
                                    how_many(found.size(), cuda_builds(all))));
}

void summarize_driver(const Evaluations& all, const HostView& host, std::vector<std::string>& lines)
{
    const auto found = with_cause(all, Cause::driver);
    if (found.empty())
        return;
    const auto* least = *std::ranges::min_element(
        found, {}, [](const Evaluation* e) { return e->major->compat_floor; });
    lines.push_back(fmt::format(
        "{} CUDA builds need a newer driver: at least {} ({}, CUDA {} under minor-version "
        "compatibility; {} natively); this host has {}",
        how_many(found.size(), cuda_builds(all)), least->major->compat_floor.text(),
        least->candidate, least->toolkit, least->native_driver.text(),
        host.driver->text()));
}

// One line per distinct branch sentence (one per GPU and bound): "all 6 CUDA builds are out:
// NVIDIA's R580 driver branch is the last to support Volta GPUs such as GPU 0 (V100, sm_70): ...".
void summarize_driver_branch(const Evaluations& all, std::vector<std::string>& lines)
{
    std::vector<std::string> texts;
    for (const auto& e : all)
        for (const auto& reason : e.reasons)
            if (reason.cause == Cause::driver_branch &&
                std::ranges::find(texts, reason.text) == texts.end())
                texts.push_back(reason.text);
    for (const auto& text : texts) {
        const auto n = std::ranges::count_if(all, [&](const Evaluation& e) {
            return std::ranges::any_of(e.reasons, [&](const Reason& r) { return r.text == text; });
        });
        lines.push_back(fmt::format("{} CUDA builds are out: {}",
                                    how_many(static_cast<size_t>(n), cuda_builds(all)), text));
    }
}

void summarize_native_only(const Evaluations& all, const HostView& host,
                           std::vector<std::string>& lines)
{
    const auto found = with_cause(all, Cause::native_only);
    if (found.empty())
        return;
    const auto* least =
        *std::ranges::min_element(found, {}, [](const Evaluation* e) { return e->native_driver; });
    lines.push_back(fmt::format(
        "{} CUDA builds would run only under minor-version compatibility, which --native-only "
        "refuses: the least demanding, {}, needs driver >= {} natively; this host has {}",
        how_many(found.size(), cuda_builds(all)), least->candidate, least->native_driver.text(),
        host.driver->text()));
}

void summarize_gpus(const Evaluations& all, const HostView& host, std::vector<std::string>& lines)
{
    const auto found = with_cause(all, Cause::gpu);
    if (found.empty())
        return;
    const auto mentions = [](const Evaluation& e, std::string_view text) {
        return std::ranges::any_of(e.reasons, [&](const Reason& r) {
            return r.cause == Cause::gpu && r.text.find(text) != std::string::npos;
        });
    };
    const auto unknown =
        std::ranges::count_if(found, [&](const Evaluation* e) { return !e->build->arch_known; });
    if (unknown > 0)
        lines.push_back(fmt::format(
            "{} CUDA builds have no arch list in the catalog, so their kernels cannot be "
            "checked",
            how_many(static_cast<size_t>(unknown), cuda_builds(all))));
    for (const auto& gpu : host.gpus) {
        const auto name = describe_gpu(gpu);
        const auto n =
            std::ranges::count_if(found, [&](const Evaluation* e) { return mentions(*e, name); });
        if (n > 0)
            lines.push_back(fmt::format("{} CUDA builds carry no kernel for {}",
                                        how_many(static_cast<size_t>(n), cuda_builds(all)), name));
    }
}

// "torch 2.9.1, 2.9.0 are built for Python 3.10, ..., 3.14t": releases grouped by their list.
void summarize_python(const Evaluations& all, const Request& request,
                      std::vector<std::string>& lines)
{
    const auto found = with_cause(all, Cause::python);
    if (found.empty())
        return;
    std::vector<std::pair<std::string, std::vector<std::string>>> groups; // Pythons -> releases
    for (const auto* e : found) {
        const auto pythons = join(e->release->python, ", ");
        auto group = std::ranges::find(groups, pythons, &decltype(groups)::value_type::first);
        if (group == groups.end())
            group = groups.insert(groups.end(), {pythons, {}});
        const auto version = e->release->version.to_string();
        if (std::ranges::find(group->second, version) == group->second.end())
            group->second.push_back(version);
    }
    std::vector<std::string> parts;
    for (const auto& [pythons, releases] : groups)
        parts.push_back(fmt::format("torch {} {} built for Python {}", join(releases, ", "),
                                    releases.size() == 1 ? "is" : "are", pythons));
    lines.push_back(fmt::format("{} candidates are not built for python \"{}\": {}",
                                how_many(found.size(), all.size()), request.python->text,
                                join(parts, "; ")));
}

void summarize_companions(const Evaluations& all, std::vector<std::string>& lines)
{
    const auto found = with_cause(all, Cause::companion);
    if (found.empty())
        return;
    std::vector<std::string> names;
    for (const auto* e : found)
        names.push_back(e->candidate);
    lines.push_back(
        fmt::format("a requested companion is not published for {}", join(names, ", ")));
}

// The way out when one exists: the newest candidate whose only obstacle is the driver.
void suggest_driver(const Evaluations& all, std::vector<std::string>& lines)
{
    for (const auto& e : all) {
        if (e.reasons.size() != 1)
            continue;
        const auto cause = e.reasons[0].cause;
        if (cause == Cause::driver) {
            lines.push_back(
                fmt::format("a driver >= {} would run {} natively (>= {} under minor-version "
                            "compatibility)",
                            e.native_driver.text(), e.candidate, e.major->compat_floor.text()));
            return;
        }
        if (cause == Cause::native_only) {
            lines.push_back(fmt::format("a driver >= {} would run {} natively",
                                        e.native_driver.text(), e.candidate));
            return;
        }
    }
}

} // namespace

std::vector<std::string> summarize(const Evaluations& evaluations, const Request& request,
                                   const HostView& host)
{
    std::vector<std::string> lines;
    if (evaluations.empty()) {
        lines.push_back(fmt::format("no torch release in the catalog matches torch \"{}\"",
                                    request.torch_text));
        return lines;
    }
    summarize_cuda_spec(evaluations, request, lines);
    summarize_no_driver(evaluations, lines);
    summarize_driver(evaluations, host, lines);
    summarize_driver_branch(evaluations, lines);
    summarize_native_only(evaluations, host, lines);
    summarize_gpus(evaluations, host, lines);
    summarize_python(evaluations, request, lines);
    summarize_companions(evaluations, lines);
    suggest_driver(evaluations, lines);
    if (request.cuda.kind == CudaRequest::Kind::automatic && host.driver)
        lines.push_back("the cpu builds are not taken because this host has an NVIDIA driver; cuda "
                        "\"cpu\" asks for "
                        "them");
    return lines;
}

} // namespace envpin::detail
