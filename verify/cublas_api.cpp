#include "verify/cublas_api.hpp"

namespace envpin::verify {

Expected<CublasApi> CublasApi::load(const std::filesystem::path& cublas,
                                    const std::filesystem::path& cublas_lt)
{
    CublasApi api;
    api.lt = ENVPIN_TRY(open_library_file(cublas_lt));
    api.library = ENVPIN_TRY(open_library_file(cublas));
    std::string missing;
    const auto& lib = api.library;
    resolve_symbol(lib, api.cublasCreate_v2, "cublasCreate_v2", missing);
    resolve_symbol(lib, api.cublasDestroy_v2, "cublasDestroy_v2", missing);
    resolve_symbol(lib, api.cublasSetStream_v2, "cublasSetStream_v2", missing);
    resolve_symbol(lib, api.cublasGetVersion_v2, "cublasGetVersion_v2", missing);
    resolve_symbol(lib, api.cublasGemmEx, "cublasGemmEx", missing);
    resolve_symbol(lib, api.cublasGetStatusName, "cublasGetStatusName", missing);
    resolve_symbol(lib, api.cublasGetStatusString, "cublasGetStatusString", missing);
    if (!missing.empty())
        return fail(ErrorCode::io, "{} has no entry point {}", lib.mapped_path(), missing);
    return api;
}

std::string CublasApi::describe(cublasStatus_t status) const
{
    const char* name = cublasGetStatusName(status);
    const char* text = cublasGetStatusString(status);
    return fmt::format("{} ({}): {}", name != nullptr ? name : "CUBLAS_STATUS_UNKNOWN", status,
                       text != nullptr ? text : "unknown status");
}

Error CublasApi::error(const char* call, cublasStatus_t status) const
{
    return Error{ErrorCode::cuda, fmt::format("{}: {}", call, describe(status)), {}};
}

int CublasApi::version() const
{
    int version = 0;
    cublasGetVersion_v2(nullptr, &version);
    return version;
}

Expected<CublasHandle> CublasApi::create_handle() const
{
    cublasHandle_t handle = nullptr;
    if (auto status = cublasCreate_v2(&handle); status != 0)
        return std::unexpected(error("cublasCreate", status));
    return CublasHandle(handle, [destroy = cublasDestroy_v2](cublasHandle_t h) { destroy(h); });
}

Expected<void> CublasApi::set_stream(const CublasHandle& handle, cudaStream_t stream) const
{
    if (auto status = cublasSetStream_v2(handle.get(), stream); status != 0)
        return std::unexpected(error("cublasSetStream", status));
    return {};
}

} // namespace envpin::verify
