#include "verify/vendor/nccl_api.hpp"

#include <cstdlib>

namespace envpin::verify {

void keep_nvls_off()
{
    ::setenv("NCCL_NVLS_ENABLE", "0", /*overwrite=*/0);
}

Expected<NcclApi> NcclApi::load(const std::filesystem::path& file)
{
    NcclApi api;
    api.library = ENVPIN_TRY(open_library_file(file));
    std::string missing;
    const auto& lib = api.library;
    resolve_symbol(lib, api.ncclGetVersion, "ncclGetVersion", missing);
    resolve_symbol(lib, api.ncclCommInitAll, "ncclCommInitAll", missing);
    resolve_symbol(lib, api.ncclCommDestroy, "ncclCommDestroy", missing);
    resolve_symbol(lib, api.ncclAllReduce, "ncclAllReduce", missing);
    resolve_symbol(lib, api.ncclGroupStart, "ncclGroupStart", missing);
    resolve_symbol(lib, api.ncclGroupEnd, "ncclGroupEnd", missing);
    resolve_symbol(lib, api.ncclGetErrorString, "ncclGetErrorString", missing);
    if (!missing.empty())
        return fail(ErrorCode::io, "{} has no entry point {}", lib.mapped_path(), missing);
    api.ncclGetLastError = lib.symbol<const char* (*)(ncclComm_t)>("ncclGetLastError");
    return api;
}

std::string NcclApi::describe(ncclResult_t result) const
{
    const char* text = ncclGetErrorString(result);
    std::string described =
        fmt::format("{} ({})", text != nullptr ? text : "unknown NCCL error", result);
    const char* last = ncclGetLastError != nullptr ? ncclGetLastError(nullptr) : nullptr;
    if (last != nullptr && *last != '\0')
        described += fmt::format(": {}", last);
    return described;
}

Error NcclApi::error(const char* call, ncclResult_t result) const
{
    return Error{ErrorCode::cuda, fmt::format("{}: {}", call, describe(result)), {}};
}

int NcclApi::version() const
{
    int version = 0;
    ncclGetVersion(&version);
    return version;
}

Expected<std::vector<NcclComm>> NcclApi::init_all(int count) const
{
    std::vector<ncclComm_t> raw(static_cast<size_t>(count), nullptr);
    if (auto rc = ncclCommInitAll(raw.data(), count, nullptr); rc != 0)
        return std::unexpected(error("ncclCommInitAll", rc));
    std::vector<NcclComm> comms;
    for (auto comm : raw)
        comms.emplace_back(comm, [destroy = ncclCommDestroy](ncclComm_t c) { destroy(c); });
    return comms;
}

Error explain_nccl_failure(Error failure, const CudaRuntime& runtime, int count)
{
    if (failure.message.find("unhandled cuda error") == std::string::npos)
        return failure;
    if (const auto root = first_cuda_failure(runtime, count))
        failure.message += fmt::format("; one layer down: {}", root->describe());
    else
        failure.message += "; one layer down, cudaSetDevice and cudaMalloc succeed on every GPU "
                           "(run with NCCL_DEBUG=WARN for NCCL's own account)";
    return failure;
}

} // namespace envpin::verify
