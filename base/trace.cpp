#include "base/trace.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace envpin {
namespace {
thread_local int depth = 0;
std::atomic<bool> enabled_by_flag{false};
}

bool tracing()
{
    static const bool enabled_by_environment = [] {
        const char* value = std::getenv("ENVPIN_TRACE");
        return value != nullptr && *value != '\0' && *value != '0';
    }();
    return enabled_by_environment || enabled_by_flag.load(std::memory_order_relaxed);
}

void enable_tracing()
{
    enabled_by_flag.store(true, std::memory_order_relaxed);
}

TraceSpan::TraceSpan(std::string_view name) : name_(name), start_(std::chrono::steady_clock::now()), active_(tracing())
{
    if (active_)
        ++depth;
}

TraceSpan::~TraceSpan()
{
    if (!active_)
        return;
    --depth;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "envpin trace: %*s%-*.*s %9.1f ms\n", depth * 2, "", 28 - depth * 2,
                 static_cast<int>(name_.size()), name_.data(), ms);
}

void trace_note(std::string_view text)
{
    if (tracing())
        std::fprintf(stderr, "envpin trace: | %.*s\n", static_cast<int>(text.size()), text.data());
}

}  // namespace envpin
