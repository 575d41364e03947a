#include "verify/vendor/cublas_api.hpp"

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
    const auto& lt = api.lt;
    resolve_symbol(lt, api.cublasLtCreate, "cublasLtCreate", missing);
    resolve_symbol(lt, api.cublasLtDestroy, "cublasLtDestroy", missing);
    resolve_symbol(lt, api.cublasLtMatmulDescCreate, "cublasLtMatmulDescCreate", missing);
    resolve_symbol(lt, api.cublasLtMatmulDescDestroy, "cublasLtMatmulDescDestroy", missing);
    resolve_symbol(lt, api.cublasLtMatmulDescSetAttribute, "cublasLtMatmulDescSetAttribute", missing);
    resolve_symbol(lt, api.cublasLtMatrixLayoutCreate, "cublasLtMatrixLayoutCreate", missing);
    resolve_symbol(lt, api.cublasLtMatrixLayoutDestroy, "cublasLtMatrixLayoutDestroy", missing);
    resolve_symbol(lt, api.cublasLtMatmulPreferenceCreate, "cublasLtMatmulPreferenceCreate", missing);
    resolve_symbol(lt, api.cublasLtMatmulPreferenceDestroy, "cublasLtMatmulPreferenceDestroy", missing);
    resolve_symbol(lt, api.cublasLtMatmulPreferenceSetAttribute, "cublasLtMatmulPreferenceSetAttribute", missing);
    resolve_symbol(lt, api.cublasLtMatmulAlgoGetHeuristic, "cublasLtMatmulAlgoGetHeuristic", missing);
    resolve_symbol(lt, api.cublasLtMatmul, "cublasLtMatmul", missing);
    if (!missing.empty())
        return fail(ErrorCode::io, "{} has no entry point {}", lt.mapped_path(), missing);
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

Expected<CublasLtHandle> CublasApi::create_lt_handle() const
{
    cublasLtHandle_t handle = nullptr;
    if (auto status = cublasLtCreate(&handle); status != 0)
        return std::unexpected(error("cublasLtCreate", status));
    return CublasLtHandle(handle, [destroy = cublasLtDestroy](cublasLtHandle_t h) { destroy(h); });
}

Expected<LtMatmulDesc> CublasApi::create_matmul_desc(int compute_type, int scale_type, int transa,
                                                     int transb) const
{
    cublasLtMatmulDesc_t raw = nullptr;
    if (auto status = cublasLtMatmulDescCreate(&raw, compute_type, scale_type); status != 0)
        return std::unexpected(error("cublasLtMatmulDescCreate", status));
    LtMatmulDesc desc(raw, [destroy = cublasLtMatmulDescDestroy](cublasLtMatmulDesc_t d) { destroy(d); });
    for (const auto& [attribute, value] : {std::pair{CUBLASLT_MATMUL_DESC_TRANSA, transa},
                                           std::pair{CUBLASLT_MATMUL_DESC_TRANSB, transb}})
        if (auto status = cublasLtMatmulDescSetAttribute(desc.get(), attribute, &value, sizeof value);
            status != 0)
            return std::unexpected(error("cublasLtMatmulDescSetAttribute", status));
    return desc;
}

Expected<LtLayout> CublasApi::create_layout(int type, std::uint64_t rows, std::uint64_t columns,
                                            std::int64_t leading) const
{
    cublasLtMatrixLayout_t layout = nullptr;
    if (auto status = cublasLtMatrixLayoutCreate(&layout, type, rows, columns, leading); status != 0)
        return std::unexpected(error("cublasLtMatrixLayoutCreate", status));
    return LtLayout(layout, [destroy = cublasLtMatrixLayoutDestroy](cublasLtMatrixLayout_t l) { destroy(l); });
}

Expected<LtPreference> CublasApi::create_preference(std::uint64_t workspace_bytes) const
{
    cublasLtMatmulPreference_t raw = nullptr;
    if (auto status = cublasLtMatmulPreferenceCreate(&raw); status != 0)
        return std::unexpected(error("cublasLtMatmulPreferenceCreate", status));
    LtPreference preference(raw, [destroy = cublasLtMatmulPreferenceDestroy](cublasLtMatmulPreference_t p) { destroy(p); });
    if (auto status = cublasLtMatmulPreferenceSetAttribute(preference.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                           &workspace_bytes, sizeof workspace_bytes);
        status != 0)
        return std::unexpected(error("cublasLtMatmulPreferenceSetAttribute", status));
    return preference;
}

} // namespace envpin::verify
