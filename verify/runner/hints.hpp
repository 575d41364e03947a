#pragma once
// Turns the error text of a failed check into what the user should do: the one table of hints,
// for the checks run in a child and the GPU checks' failed calls alike. Pure functions: the
// signatures are the exact strings CUDA, cuBLAS, NCCL, cuDNN, the loader and torch print
// (and docs/VERIFY.md lists with their hints), matched case-sensitively where they are fixed
// strings and by error number where only the number may show.
#include <optional>
#include <string>
#include <string_view>

namespace envpin::verify {

// The hint for the first known signature found in `error_text`, or "" when none matches.
// Root causes come first, so a text that carries a wrapper (NCCL "unhandled cuda error") and
// the cause found one layer down (35) gets the cause's hint. Known: CUDA 35 (driver too old),
// 209 (no kernel image), 802 (Fabric Manager), 804 (forward compatibility), 222 (PTX newer than
// the driver), 100 (no GPU visible), cuBLAS's and cuDNN's handle and architecture statuses, host memory refused (a memory limit), GPU out of memory, NCCL "unhandled cuda error", CUDNN_STATUS_NOT_INITIALIZED,
// "cannot open shared object file" (names the library), "undefined symbol" (LD_LIBRARY_PATH
// shadowing), corrupt ELF files, a missing torch module, NaN/Inf losses, timeouts and crashes.
[[nodiscard]] std::string hint_for(std::string_view error_text);

// `hint` followed by "Reset to NAME@N, which passed on this host: envpin reset NAME NAME@N."
// when `reset_target` ("NAME@N") is given; `hint` unchanged otherwise.
[[nodiscard]] std::string with_reset_suggestion(std::string hint,
                                                const std::optional<std::string>& reset_target);

}  // namespace envpin::verify
