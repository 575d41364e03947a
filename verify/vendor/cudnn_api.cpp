#include "verify/vendor/cudnn_api.hpp"

namespace envpin::verify {
namespace {

constexpr int CUDNN_TENSOR_NCHW = 0;
constexpr int CUDNN_DATA_FLOAT = 0;
constexpr int CUDNN_CROSS_CORRELATION = 1;
constexpr int CUDNN_FMA_MATH = 3;

void resolve_all(CudnnApi& api, std::string& missing)
{
    const auto& lib = api.library;
    resolve_symbol(lib, api.cudnnGetVersion, "cudnnGetVersion", missing);
    resolve_symbol(lib, api.cudnnGetErrorString, "cudnnGetErrorString", missing);
    resolve_symbol(lib, api.cudnnCreate, "cudnnCreate", missing);
    resolve_symbol(lib, api.cudnnDestroy, "cudnnDestroy", missing);
    resolve_symbol(lib, api.cudnnSetStream, "cudnnSetStream", missing);
    resolve_symbol(lib, api.cudnnCreateTensorDescriptor, "cudnnCreateTensorDescriptor", missing);
    resolve_symbol(lib, api.cudnnSetTensor4dDescriptor, "cudnnSetTensor4dDescriptor", missing);
    resolve_symbol(lib, api.cudnnDestroyTensorDescriptor, "cudnnDestroyTensorDescriptor", missing);
    resolve_symbol(lib, api.cudnnCreateFilterDescriptor, "cudnnCreateFilterDescriptor", missing);
    resolve_symbol(lib, api.cudnnSetFilter4dDescriptor, "cudnnSetFilter4dDescriptor", missing);
    resolve_symbol(lib, api.cudnnDestroyFilterDescriptor, "cudnnDestroyFilterDescriptor", missing);
    resolve_symbol(lib, api.cudnnCreateConvolutionDescriptor, "cudnnCreateConvolutionDescriptor",
                   missing);
    resolve_symbol(lib, api.cudnnSetConvolution2dDescriptor, "cudnnSetConvolution2dDescriptor",
                   missing);
    resolve_symbol(lib, api.cudnnSetConvolutionMathType, "cudnnSetConvolutionMathType", missing);
    resolve_symbol(lib, api.cudnnDestroyConvolutionDescriptor, "cudnnDestroyConvolutionDescriptor",
                   missing);
    resolve_symbol(lib, api.cudnnGetConvolutionForwardAlgorithm_v7,
                   "cudnnGetConvolutionForwardAlgorithm_v7", missing);
    resolve_symbol(lib, api.cudnnGetConvolutionForwardWorkspaceSize,
                   "cudnnGetConvolutionForwardWorkspaceSize", missing);
    resolve_symbol(lib, api.cudnnConvolutionForward, "cudnnConvolutionForward", missing);
    resolve_symbol(lib, api.cudnnGetConvolutionBackwardDataAlgorithm_v7,
                   "cudnnGetConvolutionBackwardDataAlgorithm_v7", missing);
    resolve_symbol(lib, api.cudnnGetConvolutionBackwardDataWorkspaceSize,
                   "cudnnGetConvolutionBackwardDataWorkspaceSize", missing);
    resolve_symbol(lib, api.cudnnConvolutionBackwardData, "cudnnConvolutionBackwardData", missing);
    resolve_symbol(lib, api.cudnnGetConvolutionBackwardFilterAlgorithm_v7,
                   "cudnnGetConvolutionBackwardFilterAlgorithm_v7", missing);
    resolve_symbol(lib, api.cudnnGetConvolutionBackwardFilterWorkspaceSize,
                   "cudnnGetConvolutionBackwardFilterWorkspaceSize", missing);
    resolve_symbol(lib, api.cudnnConvolutionBackwardFilter, "cudnnConvolutionBackwardFilter",
                   missing);
}

} // namespace

Expected<CudnnApi> CudnnApi::load(const std::filesystem::path& file)
{
    CudnnApi api;
    api.library = ENVPIN_TRY(open_library_file(file));
    std::string missing;
    resolve_all(api, missing);
    if (!missing.empty())
        return fail(ErrorCode::io, "{} has no entry point {}", api.library.mapped_path(), missing);
    api.cudnnGetLastErrorString =
        api.library.symbol<void (*)(char*, size_t)>("cudnnGetLastErrorString");
    return api;
}

std::string CudnnApi::describe(cudnnStatus_t status) const
{
    const char* name = cudnnGetErrorString(status);
    std::string text =
        fmt::format("{} ({})", name != nullptr ? name : "CUDNN_STATUS_UNKNOWN", status);
    if (cudnnGetLastErrorString != nullptr) {
        char message[1024] = {};
        cudnnGetLastErrorString(message, sizeof message);
        if (message[0] != '\0')
            text += fmt::format(": {}", message);
    }
    return text;
}

Error CudnnApi::error(const char* call, cudnnStatus_t status) const
{
    return Error{ErrorCode::cuda, fmt::format("{}: {}", call, describe(status)), {}};
}

long long CudnnApi::version() const
{
    return static_cast<long long>(cudnnGetVersion());
}

Expected<CudnnHandle> CudnnApi::create_handle(cudaStream_t stream) const
{
    cudnnHandle_t raw = nullptr;
    if (auto status = cudnnCreate(&raw); status != 0)
        return std::unexpected(error("cudnnCreate", status));
    CudnnHandle handle(raw, [destroy = cudnnDestroy](cudnnHandle_t h) { destroy(h); });
    if (auto status = cudnnSetStream(raw, stream); status != 0)
        return std::unexpected(error("cudnnSetStream", status));
    return handle;
}

Expected<CudnnTensor> CudnnApi::tensor(int n, int c, int h, int w) const
{
    cudnnTensorDescriptor_t raw = nullptr;
    if (auto status = cudnnCreateTensorDescriptor(&raw); status != 0)
        return std::unexpected(error("cudnnCreateTensorDescriptor", status));
    CudnnTensor tensor(raw, [destroy = cudnnDestroyTensorDescriptor](auto d) { destroy(d); });
    if (auto status =
            cudnnSetTensor4dDescriptor(raw, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w);
        status != 0)
        return std::unexpected(error("cudnnSetTensor4dDescriptor", status));
    return tensor;
}

Expected<CudnnFilter> CudnnApi::filter(int k, int c, int r, int s) const
{
    cudnnFilterDescriptor_t raw = nullptr;
    if (auto status = cudnnCreateFilterDescriptor(&raw); status != 0)
        return std::unexpected(error("cudnnCreateFilterDescriptor", status));
    CudnnFilter filter(raw, [destroy = cudnnDestroyFilterDescriptor](auto d) { destroy(d); });
    if (auto status =
            cudnnSetFilter4dDescriptor(raw, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, c, r, s);
        status != 0)
        return std::unexpected(error("cudnnSetFilter4dDescriptor", status));
    return filter;
}

Expected<CudnnConvolution> CudnnApi::convolution(const ConvShape& shape) const
{
    cudnnConvolutionDescriptor_t raw = nullptr;
    if (auto status = cudnnCreateConvolutionDescriptor(&raw); status != 0)
        return std::unexpected(error("cudnnCreateConvolutionDescriptor", status));
    CudnnConvolution convolution(
        raw, [destroy = cudnnDestroyConvolutionDescriptor](auto d) { destroy(d); });
    if (auto status = cudnnSetConvolution2dDescriptor(raw, shape.pad_h(), shape.pad_w(), 1, 1, 1, 1,
                                                      CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT);
        status != 0)
        return std::unexpected(error("cudnnSetConvolution2dDescriptor", status));
    if (auto status = cudnnSetConvolutionMathType(raw, CUDNN_FMA_MATH); status != 0)
        return std::unexpected(error("cudnnSetConvolutionMathType", status));
    return convolution;
}

} // namespace envpin::verify
