#pragma once
// A resolution request: what the user asks for (torch, CUDA, Python, companions, compat
// policy), parsed from flags or envpin.toml and checked against the catalog.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/catalog.hpp"
#include "resolver/host_facts.hpp"
#include "resolver/specifier.hpp"

namespace envpin {

struct CudaRequest {
    enum class Kind { automatic, cpu, cuda };
    Kind kind = Kind::automatic;
    SpecifierSet spec;         // Kind::cuda: the CUDA releases asked for
    std::string text = "auto"; // as written: "auto", "cpu", "12.8", ">=12.6", "cu128"
    bool operator==(const CudaRequest&) const = default;
};

struct PythonRequest {
    std::string text;          // as written: "3.12", ">=3.11", "3.13t"
    SpecifierSet spec;         // for regular (GIL) builds
    std::string free_threaded; // "3.13t" when a free-threaded build is asked for; else empty
    bool operator==(const PythonRequest&) const = default;
};

// Minor-version compatibility lets a driver older than a CUDA release's toolkit driver run it
// (without PTX JIT); `native_only` refuses such builds.
enum class CompatPolicy { allow_minor_version, native_only };

struct Request {
    std::string torch_text; // as written; empty = any release
    SpecifierSet torch;
    CudaRequest cuda;
    std::optional<PythonRequest> python;
    std::vector<std::string> companions; // required companions ("torchvision", "torchaudio")
    CompatPolicy compat = CompatPolicy::allow_minor_version;
    bool operator==(const Request&) const = default;
};

// The request as text, before parsing. `field_prefix` names inputs in messages: "--" for
// flags ("--torch '2.7.x!!' ..."), or "envpin.toml: " for a spec file.
struct RequestText {
    std::string torch;
    std::string cuda = "auto";
    std::string python;
    std::vector<std::string> companions;
    CompatPolicy compat = CompatPolicy::allow_minor_version;
    std::string field_prefix = "--";
};

// Parses and validates. Accepted forms: torch "2.7.*", "2.7", "2.7.1", "2.7.1+cu128" or any
// PEP 440 specifier; cuda "auto", "cpu", "cu128", "12.8", "12", or a specifier (">=12.6");
// python "3.12", "3.13t" or a specifier. A bare CUDA version must name a CUDA release in the
// catalog. Fails with bad_input naming the input and what was expected.
[[nodiscard]] Expected<Request> make_request(const Catalog& catalog, const RequestText& text);

// `--gpu NAME|sm_XY|X.Y`: a GPU described by a catalog name ("H100", "NVIDIA H200"), an SASS
// name or a compute capability. Fails with bad_input listing what is accepted.
[[nodiscard]] Expected<GpuInfo> gpu_from_flag(const Catalog& catalog, std::string_view text,
                                              int index);

// `--driver V|none`: nullopt for "none"; fails with bad_input unless V is a driver version.
[[nodiscard]] Expected<std::optional<std::string>> driver_from_flag(std::string_view text);

} // namespace envpin
