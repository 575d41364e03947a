#include "resolver/request.hpp"

#include <algorithm>

#include "base/strings.hpp"

namespace envpin {
namespace {

bool starts_with_operator(std::string_view text)
{
    return !text.empty() && std::string_view("=!<>~").find(text.front()) != std::string_view::npos;
}

// "2.7" -> "==2.7.*", "2.7.1" -> "==2.7.1", "2.7.*" -> "==2.7.*"; specifiers unchanged.
std::string torch_specifier(std::string_view text)
{
    if (text.empty() || starts_with_operator(text) || text.find(',') != std::string_view::npos)
        return std::string(text);
    if (text.ends_with(".*"))
        return "==" + std::string(text);
    const auto version = Version::parse(text);
    if (version && !version->has_local() && version->release().size() < 3 &&
        !version->is_prerelease())
        return fmt::format("=={}.*", text);
    return "==" + std::string(text);
}

Expected<std::pair<std::string, SpecifierSet>> parse_torch(const RequestText& input)
{
    const auto text = std::string(trim(input.torch));
    auto spec = SpecifierSet::parse(torch_specifier(text == "*" ? "" : text));
    if (!spec)
        return fail(
            ErrorCode::bad_input,
            "{}torch '{}' is not a torch version or PEP 440 specifier: expected e.g. 2.7.*, "
            "2.7.1, 2.7.1+cu128, >=2.6,<2.9 or ~=2.7.0",
            input.field_prefix, text);
    return std::pair{text, std::move(*spec)};
}

std::string known_cuda(const Catalog& catalog)
{
    std::vector<std::string> names;
    for (const auto& release : catalog.cuda)
        names.push_back(release.version.to_string());
    return join(names, ", ");
}

Expected<CudaRequest> parse_cuda(const Catalog& catalog, const RequestText& input)
{
    CudaRequest request;
    request.text = std::string(trim(input.cuda));
    const auto lowered = to_lower(request.text);
    if (lowered.empty() || lowered == "auto") {
        request.text = "auto";
        return request;
    }
    if (lowered == "cpu" || lowered == "none") {
        request.kind = CudaRequest::Kind::cpu;
        return request;
    }
    request.kind = CudaRequest::Kind::cuda;
    std::string spec_text = request.text;
    if (const auto* variant = find_variant(catalog, lowered); variant && variant->cuda)
        spec_text = "==" + variant->cuda->to_string();
    else if (!starts_with_operator(spec_text)) {
        const auto version = Version::parse(spec_text);
        const auto prefix = SpecifierSet::parse(fmt::format("=={}.*", spec_text));
        const bool known =
            version && prefix && std::ranges::any_of(catalog.cuda, [&](const CudaRelease& release) {
                return prefix->contains(release.version);
            });
        if (!known)
            return fail(
                ErrorCode::bad_input,
                "{}cuda '{}' is not a CUDA release envpin knows: expected auto, cpu, a variant "
                "such as cu128, a specifier such as >=12.6, or one of {}",
                input.field_prefix, request.text, known_cuda(catalog));
        spec_text = fmt::format("=={}.*", spec_text);
    }
    auto spec = SpecifierSet::parse(spec_text);
    if (!spec)
        return fail(ErrorCode::bad_input, "{}cuda '{}': {}", input.field_prefix, request.text,
                    spec.error().message);
    request.spec = std::move(*spec);
    return request;
}

Expected<std::optional<PythonRequest>> parse_python(const RequestText& input)
{
    const auto text = std::string(trim(input.python));
    if (text.empty())
        return std::nullopt;
    PythonRequest request;
    request.text = text;
    const auto bad = [&] {
        return fail(ErrorCode::bad_input,
                    "{}python '{}' is not a Python version: expected e.g. 3.12, 3.13t or >=3.11",
                    input.field_prefix, text);
    };
    if (starts_with_operator(text)) {
        auto spec = SpecifierSet::parse(text);
        if (!spec)
            return bad();
        request.spec = std::move(*spec);
        return request;
    }
    const bool free_threaded = text.ends_with('t');
    const auto version =
        Version::parse(free_threaded ? std::string_view(text).substr(0, text.size() - 1) : text);
    if (!version || version->release().size() < 2 || version->release()[0] != 3 ||
        version->has_local() || version->is_prerelease())
        return bad();
    const auto minor = fmt::format("3.{}", version->release()[1]);
    if (free_threaded)
        request.free_threaded = minor + "t";
    request.spec = *SpecifierSet::parse("==" + minor);
    return request;
}

} // namespace

Expected<Request> make_request(const Catalog& catalog, const RequestText& text)
{
    Request request;
    std::tie(request.torch_text, request.torch) = ENVPIN_TRY(parse_torch(text));
    request.cuda = ENVPIN_TRY(parse_cuda(catalog, text));
    request.python = ENVPIN_TRY(parse_python(text));
    for (const auto& companion : text.companions) {
        const auto name = normalize_name(companion);
        if (name != "torchvision" && name != "torchaudio")
            return fail(ErrorCode::bad_input,
                        "{}companions: '{}' is not a torch companion: expected torchvision "
                        "or torchaudio (other packages go in requirements)",
                        text.field_prefix, companion);
        if (std::ranges::find(request.companions, name) == request.companions.end())
            request.companions.push_back(name);
    }
    request.compat = text.compat;
    return request;
}

Expected<GpuInfo> gpu_from_flag(const Catalog& catalog, std::string_view text, int index)
{
    GpuInfo gpu;
    gpu.index = index;
    if (const auto* model = find_gpu(catalog, text)) {
        gpu.name = model->name;
        gpu.cc = model->cc;
        return gpu;
    }
    const auto cc = parse_compute_capability(text);
    if (!cc || (!text.starts_with("sm_") && text.find('.') == std::string_view::npos)) {
        std::vector<std::string> names;
        for (const auto& model : catalog.gpus)
            names.push_back(model.name);
        return fail(
            ErrorCode::bad_input,
            "--gpu '{}' is not a GPU envpin knows: expected a name ({}), sm_XY (sm_90) or a "
            "compute capability (9.0)",
            text, join(names, ", "));
    }
    gpu.cc = *cc; // no name: the GPU is known by its compute capability only
    return gpu;
}

Expected<std::optional<std::string>> driver_from_flag(std::string_view text)
{
    text = trim(text);
    if (to_lower(text) == "none")
        return std::nullopt;
    const auto driver = DriverVersion::parse(text);
    if (!driver || driver->components().size() < 2)
        return fail(
            ErrorCode::bad_input,
            "--driver '{}' is not an NVIDIA driver version: expected e.g. 580.95.05, or none",
            text);
    return std::optional<std::string>(driver->text());
}

} // namespace envpin
