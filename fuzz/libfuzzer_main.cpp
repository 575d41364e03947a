// libFuzzer's entry point (scripts/fuzz.sh): the target is ENVPIN_FUZZ_TARGET.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const char* target = std::getenv("ENVPIN_FUZZ_TARGET");
    if (target == nullptr || !envpin::fuzz::run_target(target, {reinterpret_cast<const char*>(data), size})) {
        std::fprintf(stderr, "set ENVPIN_FUZZ_TARGET to one of the targets in fuzz/targets.cpp\n");
        std::abort();
    }
    return 0;
}
