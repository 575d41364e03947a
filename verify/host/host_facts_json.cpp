#include "verify/host/host_facts_json.hpp"

#include "verify/host/gpu_probe.hpp"

namespace envpin::verify {
namespace {

std::optional<std::string> optional_text(const nlohmann::json& document, const char* key)
{
    const auto it = document.find(key);
    if (it == document.end() || it->is_null())
        return std::nullopt;
    return it->get<std::string>();
}

}  // namespace

Expected<HostFacts> host_facts_from_json(const nlohmann::json& document)
{
    if (!document.is_object() || !document.contains("gpus"))
        return fail(ErrorCode::bad_input, "host facts must be a `host --json` object");
    try {
        HostFacts facts;
        facts.driver = optional_text(document, "driver");
        facts.driver_source = document.value("driver_source", "");
        facts.cuda_driver_api = optional_text(document, "cuda_driver_api");
        facts.gpu_source = document.value("gpu_source", "");
        facts.gpu_problem = optional_text(document, "gpu_problem");
        facts.cuda_problem = optional_text(document, "cuda_problem");
        if (const auto it = document.find("cuda_devices"); it != document.end() && !it->is_null())
            facts.cuda_devices = it->get<int>();
        // The GPU list has the GPU probe's shape; reuse its parser.
        auto gpus = ENVPIN_TRY(parse_gpu_probe_report(nlohmann::json{{"gpus", document.at("gpus")}}.dump()));
        facts.gpus = std::move(gpus.gpus);
        for (const auto& toolkit : document.value("toolkits", nlohmann::json::array()))
            facts.toolkits.push_back({toolkit.at("path").get<std::string>(), toolkit.at("version").get<std::string>()});
        for (const auto& python : document.value("pythons", nlohmann::json::array()))
            facts.pythons.push_back({python.at("path").get<std::string>(), python.at("version").get<std::string>()});
        facts.glibc = document.value("glibc", "");
        facts.arch = document.value("arch", "");
        facts.os = document.value("os", "");
        return facts;
    } catch (const nlohmann::json::exception& error) {
        return fail(ErrorCode::bad_input, "malformed host facts: {}", error.what());
    }
}

}  // namespace envpin::verify
