#pragma once
// The catalog: what envpin knows about PyTorch builds, CUDA releases and GPUs, as values.
// It is data (catalog/catalog.toml, compiled in; `--catalog FILE` overrides it); these types
// mirror its schema, documented at the top of that file.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/arch.hpp"
#include "resolver/driver_version.hpp"
#include "resolver/host_facts.hpp"
#include "resolver/requirement.hpp"
#include "resolver/version.hpp"

namespace envpin {

// How firmly a catalog value is known. `sourced` (the default) rests on a cited primary
// source; the others are shown by `resolve --explain` whenever a choice depends on them.
enum class Evidence { sourced, verified, secondary, unverified, conflict };
[[nodiscard]] std::string_view to_string(Evidence evidence);
[[nodiscard]] std::optional<Evidence> parse_evidence(std::string_view text);
// True for secondary, unverified and conflict: the values `--explain` must point out.
[[nodiscard]] bool is_weak(Evidence evidence);

struct Fact {
    Evidence evidence = Evidence::sourced;
    std::string note;
    bool operator==(const Fact&) const = default;
};
// Non-default facts about an entry's fields, keyed by field name ("arch", "ptx", "cudnn").
using Facts = std::map<std::string, Fact, std::less<>>;

// The fact recorded for `field`, or a plain sourced fact.
[[nodiscard]] Fact fact_of(const Facts& facts, std::string_view field);

struct CudaMajor {
    int major = 0;
    DriverVersion compat_floor; // minimum driver under minor-version compatibility
    std::vector<std::string> sources;
    bool operator==(const CudaMajor&) const = default;
};

struct CudaRelease {
    Version version;                              // major.minor ("12.8")
    DriverVersion driver;                         // toolkit driver of the GA release, Linux x86_64
    std::map<std::string, DriverVersion> updates; // "12.8.1" -> its toolkit driver
    std::string base_image;  // NVIDIA's CUDA `base` image of its latest update; empty: none named
    std::vector<std::string> sources;
    Facts facts;
    [[nodiscard]] int major() const { return static_cast<int>(version.release().at(0)); }
    bool operator==(const CudaRelease&) const = default;
};

struct Variant {
    std::string name;            // index suffix and local version label: "cu128", "cpu"
    std::optional<Version> cuda; // nullopt for cpu
    std::string index_url;
    bool operator==(const Variant&) const = default;
};

// A library a build depends on: a Requires-Dist pin, a distribution the cuda-toolkit
// meta-package installs, or a copy bundled inside the torch wheel.
struct Pin {
    enum class Kind { requires_dist, installed_by_toolkit, bundled };
    Kind kind = Kind::requires_dist;
    std::string role;        // "cudnn", "nccl", "cuda-runtime", "cublas", "cuda-toolkit", ...
    Requirement requirement; // name, extras, specifier (bundled: name is the role)
    Fact fact;
    // The exact version ("9.7.1.26") or, for a range, the specifier text.
    [[nodiscard]] std::string version_text() const;
    bool operator==(const Pin&) const = default;
};

// The role of an nvidia-* distribution: "nvidia-cudnn-cu12" -> "cudnn",
// "nvidia-cuda-runtime" -> "cuda-runtime", "cuda-toolkit" -> "cuda-toolkit".
[[nodiscard]] std::string pin_role(std::string_view distribution);

// One variant of one torch release (expanded from the catalog's [[build]] tables).
struct TorchBuild {
    std::string variant;          // "cu128"
    std::string toolkit;          // CUDA toolkit it was built with ("12.8.0"); may be empty
    std::vector<ArchTarget> arch; // ascending, SASS before PTX of the same CC
    bool arch_known = true;       // false when the catalog does not know the arch list
    std::vector<Pin> pins;
    std::vector<std::string> missing; // companions not published for this build
    std::vector<std::string> sources;
    Facts facts;
    std::string origin; // empty: the built-in catalog; else "INDEX (DATE)" from the catalog overlay
    bool operator==(const TorchBuild&) const = default;
};

struct TorchRelease {
    Version version;
    std::vector<std::string> python;              // "3.9" ... "3.13", "3.13t"
    std::vector<std::string> python_experimental; // chosen only when asked for
    // Pythons torch is built for but torchvision and torchaudio are not: no companion is paired.
    std::vector<std::string> torch_only_python;
    std::string torchvision, torchaudio, triton;  // versions; empty when none
    std::string pypi_default;
    std::vector<TorchBuild> builds; // newest CUDA first, cpu last
    std::vector<std::string> sources;
    Facts facts;
    [[nodiscard]] bool companions_built_for(std::string_view python) const;
    bool operator==(const TorchRelease&) const = default;
};

struct GpuModel {
    std::string name;                 // "H100 SXM"
    std::vector<std::string> aliases; // "H100", "NVIDIA H100 80GB HBM3"
    ComputeCapability cc;
    std::string architecture;                // "Hopper"
    std::string first_cuda;                  // first toolkit with SASS for it; may be empty
    std::optional<double> hbm_bandwidth_gbs; // reference peaks, dense; nullopt: no source
    std::optional<double> bf16_dense_tflops;
    std::optional<double> tf32_dense_tflops;
    std::optional<double> fp8_dense_tflops; // E4M3/E5M2 tensor cores
    std::optional<double> fp32_tflops;      // plain FP32 (no tensor cores)
    std::vector<std::string> sources;
    Facts facts;
    bool operator==(const GpuModel&) const = default;
};

// The driver branches (the first component of a driver version: 580 for 580.95.05) that support
// a GPU architecture. 0 means no bound is known.
struct GpuArchitecture {
    std::string name;                  // "Volta"
    std::vector<ComputeCapability> cc; // the compute capabilities of its GPUs
    int min_driver_branch = 0;         // the first branch that supports it (570 for R570)
    int last_driver_branch = 0;        // the last branch that supports it (580 for R580)
    std::vector<std::string> sources;
    Facts facts;
    bool operator==(const GpuArchitecture&) const = default;
};

struct Catalog {
    int format = 1;
    std::string revision;
    std::vector<CudaMajor> cuda_majors;
    std::vector<CudaRelease> cuda; // ascending
    std::vector<Variant> variants;
    std::vector<TorchRelease> releases; // newest first
    std::vector<GpuArchitecture> architectures;
    std::vector<GpuModel> gpus;
    bool operator==(const Catalog&) const = default;
};

// --- Lookups (linear; the catalog is small) ---

[[nodiscard]] const Variant* find_variant(const Catalog& catalog, std::string_view name);
[[nodiscard]] const CudaRelease* find_cuda(const Catalog& catalog, const Version& version);
[[nodiscard]] const CudaMajor* find_cuda_major(const Catalog& catalog, int major);
[[nodiscard]] const TorchRelease* find_release(const Catalog& catalog, const Version& version);
// The architecture whose compute capabilities include `cc`; nullptr when the catalog has none.
[[nodiscard]] const GpuArchitecture* find_architecture(const Catalog& catalog,
                                                       ComputeCapability cc);
// The toolkit driver of the exact toolkit a build was made with ("12.6.3" -> 560.35.05): the
// update's driver when `cuda.updates` lists it, else the GA driver (a ".0" or unknown toolkit).
[[nodiscard]] const DriverVersion& toolkit_driver(const CudaRelease& cuda,
                                                  std::string_view toolkit);
// The branch of a driver version: its first component (580 for 580.95.05).
[[nodiscard]] long long driver_branch(const DriverVersion& driver);
// The GPU model whose name or alias equals `name`, ignoring case, repeated spaces and a leading
// "NVIDIA", "Tesla" or "GeForce" ("NVIDIA H200", "h100", "NVIDIA H100 80GB HBM3"). nullptr
// when unknown: verify then has no reference peaks for it.
[[nodiscard]] const GpuModel* find_gpu(const Catalog& catalog, std::string_view name);
// The first model with this compute capability, for naming a GPU given as "sm_90".
[[nodiscard]] const GpuModel* find_gpu_by_cc(const Catalog& catalog, ComputeCapability cc);

// --- Parsing and checking ---

// Parses catalog TOML. Fails with bad_input naming `origin`, the line and what was expected.
[[nodiscard]] Expected<Catalog> parse_catalog(std::string_view text, std::string_view origin);

// Consistency problems (unknown references, duplicates, malformed or unordered arch lists),
// one sentence each; empty when the catalog is sound.
[[nodiscard]] std::vector<std::string> check_catalog(const Catalog& catalog);

// The catalog compiled into envpin (catalog/catalog.toml), parsed once per call.
[[nodiscard]] std::string_view default_catalog_text();
[[nodiscard]] Expected<Catalog> default_catalog();

} // namespace envpin
