// Resolution against the full built-in catalog. The catalog is parsed once, as envpin does per
// command; each iteration is one resolve() of a request for a described host.
#include <benchmark/benchmark.h>

#include "resolver/resolve.hpp"

namespace envpin {
namespace {

const Catalog& catalog()
{
    static const Catalog parsed = default_catalog().value();
    return parsed;
}

HostFacts host(std::optional<std::string> driver, std::vector<std::string> gpus)
{
    HostFacts facts;
    facts.driver = std::move(driver);
    for (size_t i = 0; i < gpus.size(); ++i)
        facts.gpus.push_back(gpu_from_flag(catalog(), gpus[i], static_cast<int>(i)).value());
    facts.pythons.push_back({"/usr/bin/python3", "3.12.3"});
    return facts;
}

void run(benchmark::State& state, const RequestText& text, const HostFacts& facts)
{
    const auto request = make_request(catalog(), text).value();
    for (auto _ : state) {
        auto resolution = resolve(catalog(), request, facts);
        benchmark::DoNotOptimize(resolution);
    }
}

// The common case: the newest release has a usable build.
void BM_ResolveNewestOnH100(benchmark::State& state)
{
    run(state, {}, host("580.95.05", {"H100"}));
}

// An old driver and a Volta GPU: eight releases fail before 2.7.1+cu118 fits (40 candidates).
void BM_ResolveOldDriverV100(benchmark::State& state)
{
    run(state, {}, host("470.82.01", {"V100"}));
}

// Worst case: no build carries a kernel for the GPU, so every candidate of the catalog is
// evaluated and explained, and the conflict is summarized.
void BM_ResolveConflictFullCatalog(benchmark::State& state)
{
    run(state, {}, host("580.95.05", {"Thor", "H100"}));
}

// Startup cost paid once per command: parsing the embedded catalog.
void BM_ParseCatalog(benchmark::State& state)
{
    for (auto _ : state) {
        auto parsed = default_catalog();
        benchmark::DoNotOptimize(parsed);
    }
}

BENCHMARK(BM_ResolveNewestOnH100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ResolveOldDriverV100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ResolveConflictFullCatalog)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseCatalog)->Unit(benchmark::kMicrosecond);

} // namespace
} // namespace envpin
