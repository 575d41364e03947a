#pragma once
// What to do about a failed GPU call: known failure signatures of the CUDA driver and runtime,
// cuBLAS, cuDNN and NCCL, mapped to advice for the user. Pure; the checks pass in the text of
// the error they got (which always carries the library's own error name).
#include <string>
#include <string_view>

namespace envpin::verify {

// The advice for the first known signature found in `failure` (e.g. "cuInit:
// CUDA_ERROR_INSUFFICIENT_DRIVER (35): ..."), "" when none matches. Signatures are tried
// in a fixed order, root causes before wrappers, so a text that carries both a wrapper
// (NCCL "unhandled cuda error") and the cause found one layer down (35) gets the cause's advice.
[[nodiscard]] std::string gpu_hint(std::string_view failure);

// The same advice, looked up by a CUDA driver or runtime error number (35, 100, 209, 802, 804,
// ...); "" for numbers without specific advice.
[[nodiscard]] std::string cuda_error_hint(int code);

} // namespace envpin::verify
