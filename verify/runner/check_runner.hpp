#pragma once
// Runs one check in a child process (`envpin probe check`) under the watchdog and turns
// whatever happens into a CheckResult: the child's own result when it printed one, a failed
// check naming the timeout or the signal when it hung or crashed, an error when it printed
// something that is not a result. The parent never loads CUDA.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>

#include "verify/runner/check_result.hpp"

namespace envpin::verify {

struct CheckChild {
    std::filesystem::path envpin_executable;  // runs `<exe> probe check`, request on stdin
    ProbeRequest request;
    std::chrono::milliseconds timeout{120000};
    size_t max_output_bytes = 1u << 20;  // per stream; a flood beyond it is read and dropped
    std::function<void(pid_t)> on_started;  // the child's pid, once it exists
};

// Never fails. duration_ms is the child's wall time, start-up included.
[[nodiscard]] CheckResult run_check_child(const CheckChild& child);

}  // namespace envpin::verify
