#pragma once
// Phase timings on stderr when ENVPIN_TRACE=1 ("envpin trace:   build tree  412.3 ms"), for
// finding where a command spends its time on a real machine. Costs one branch when off.
#include <chrono>
#include <string_view>

namespace envpin {

[[nodiscard]] bool tracing();
// Turns tracing on for this process (`-v`), as ENVPIN_TRACE=1 does; call before any work.
void enable_tracing();

// Times the scope it lives in; nested spans are indented.
class TraceSpan {
public:
    explicit TraceSpan(std::string_view name);
    ~TraceSpan();
    TraceSpan(const TraceSpan&) = delete;
    TraceSpan& operator=(const TraceSpan&) = delete;

private:
    std::string_view name_;
    std::chrono::steady_clock::time_point start_;
    bool active_;
};

// One line of detail under the spans ("envpin trace: | <text>"), when tracing.
void trace_note(std::string_view text);

// Runs `work` inside a span named `name` and returns what it returns.
template <class Work>
decltype(auto) traced(std::string_view name, Work&& work)
{
    TraceSpan span(name);
    return work();
}

}  // namespace envpin
