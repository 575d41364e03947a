#pragma once
// cuDNN of an environment (libcudnn.so.9 from the nvidia-cudnn wheel, which dlopens its
// sub-libraries libcudnn_graph/ops/cnn/engines_* itself), loaded at run time by path.
// Declarations mirror cudnn_graph.h, cudnn_ops.h and cudnn_cnn.h (the legacy convolution API,
// still exported by cuDNN 9); this file is the only owner of cuDNN handles and descriptors.
#include <cstddef>
#include <filesystem>
#include <string>

#include "base/error.hpp"
#include "verify/checks/conv_reference.hpp"
#include "verify/vendor/cuda_runtime.hpp"

namespace envpin::verify {

using cudnnStatus_t = int;
using cudnnHandle_t = struct cudnnContext*;
using cudnnTensorDescriptor_t = struct cudnnTensorStruct*;
using cudnnFilterDescriptor_t = struct cudnnFilterStruct*;
using cudnnConvolutionDescriptor_t = struct cudnnConvolutionStruct*;
using CudnnHandle = OwnedHandle<cudnnHandle_t>;
using CudnnTensor = OwnedHandle<cudnnTensorDescriptor_t>;
using CudnnFilter = OwnedHandle<cudnnFilterDescriptor_t>;
using CudnnConvolution = OwnedHandle<cudnnConvolutionDescriptor_t>;

// cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t share this layout.
struct CudnnAlgoPerf {
    int algo = 0;
    cudnnStatus_t status = 0;
    float time = 0;
    size_t memory = 0;
    int determinism = 0;
    int math_type = 0;
    int reserved[3] = {};
};

struct CudnnApi {
    // io when the file cannot be loaded or lacks an entry point.
    [[nodiscard]] static Expected<CudnnApi> load(const std::filesystem::path& file);

    // "CUDNN_STATUS_NOT_INITIALIZED (1001): <cuDNN's last error message>"
    [[nodiscard]] std::string describe(cudnnStatus_t status) const;
    [[nodiscard]] Error error(const char* call, cudnnStatus_t status) const;
    // cudnnGetVersion: 91900 for 9.19.0; needs no GPU.
    [[nodiscard]] long long version() const;

    // A handle on the current device, bound to `stream`.
    [[nodiscard]] Expected<CudnnHandle> create_handle(cudaStream_t stream) const;
    // fp32 NCHW tensors and KCRS filters, and a cross-correlation with FMA math (no TF32), as
    // the CPU reference computes it.
    [[nodiscard]] Expected<CudnnTensor> tensor(int n, int c, int h, int w) const;
    [[nodiscard]] Expected<CudnnFilter> filter(int k, int c, int r, int s) const;
    [[nodiscard]] Expected<CudnnConvolution> convolution(const ConvShape& shape) const;

    SharedLibrary library;
    size_t (*cudnnGetVersion)() = nullptr;
    const char* (*cudnnGetErrorString)(cudnnStatus_t) = nullptr;
    void (*cudnnGetLastErrorString)(char*, size_t) = nullptr; // optional (cuDNN >= 9.0)
    cudnnStatus_t (*cudnnCreate)(cudnnHandle_t*) = nullptr;
    cudnnStatus_t (*cudnnDestroy)(cudnnHandle_t) = nullptr;
    cudnnStatus_t (*cudnnSetStream)(cudnnHandle_t, cudaStream_t) = nullptr;
    cudnnStatus_t (*cudnnCreateTensorDescriptor)(cudnnTensorDescriptor_t*) = nullptr;
    cudnnStatus_t (*cudnnSetTensor4dDescriptor)(cudnnTensorDescriptor_t, int format, int type,
                                                int n, int c, int h, int w) = nullptr;
    cudnnStatus_t (*cudnnDestroyTensorDescriptor)(cudnnTensorDescriptor_t) = nullptr;
    cudnnStatus_t (*cudnnCreateFilterDescriptor)(cudnnFilterDescriptor_t*) = nullptr;
    cudnnStatus_t (*cudnnSetFilter4dDescriptor)(cudnnFilterDescriptor_t, int type, int format,
                                                int k, int c, int h, int w) = nullptr;
    cudnnStatus_t (*cudnnDestroyFilterDescriptor)(cudnnFilterDescriptor_t) = nullptr;
    cudnnStatus_t (*cudnnCreateConvolutionDescriptor)(cudnnConvolutionDescriptor_t*) = nullptr;
    cudnnStatus_t (*cudnnSetConvolution2dDescriptor)(cudnnConvolutionDescriptor_t, int pad_h,
                                                     int pad_w, int u, int v, int dilation_h,
                                                     int dilation_w, int mode, int type) = nullptr;
    cudnnStatus_t (*cudnnSetConvolutionMathType)(cudnnConvolutionDescriptor_t, int) = nullptr;
    cudnnStatus_t (*cudnnDestroyConvolutionDescriptor)(cudnnConvolutionDescriptor_t) = nullptr;
    cudnnStatus_t (*cudnnGetConvolutionForwardAlgorithm_v7)(
        cudnnHandle_t, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
        cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t y, int requested, int* returned,
        CudnnAlgoPerf*) = nullptr;
    cudnnStatus_t (*cudnnGetConvolutionForwardWorkspaceSize)(
        cudnnHandle_t, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
        cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t y, int algo, size_t*) = nullptr;
    cudnnStatus_t (*cudnnConvolutionForward)(cudnnHandle_t, const void* alpha,
                                             cudnnTensorDescriptor_t x_desc, const void* x,
                                             cudnnFilterDescriptor_t w_desc, const void* w,
                                             cudnnConvolutionDescriptor_t, int algo,
                                             void* workspace, size_t workspace_bytes,
                                             const void* beta, cudnnTensorDescriptor_t y_desc,
                                             void* y) = nullptr;
    cudnnStatus_t (*cudnnGetConvolutionBackwardDataAlgorithm_v7)(
        cudnnHandle_t, cudnnFilterDescriptor_t w, cudnnTensorDescriptor_t dy,
        cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t dx, int requested, int* returned,
        CudnnAlgoPerf*) = nullptr;
    cudnnStatus_t (*cudnnGetConvolutionBackwardDataWorkspaceSize)(
        cudnnHandle_t, cudnnFilterDescriptor_t w, cudnnTensorDescriptor_t dy,
        cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t dx, int algo, size_t*) = nullptr;
    cudnnStatus_t (*cudnnConvolutionBackwardData)(cudnnHandle_t, const void* alpha,
                                                  cudnnFilterDescriptor_t w_desc, const void* w,
                                                  cudnnTensorDescriptor_t dy_desc, const void* dy,
                                                  cudnnConvolutionDescriptor_t, int algo,
                                                  void* workspace, size_t workspace_bytes,
                                                  const void* beta, cudnnTensorDescriptor_t dx_desc,
                                                  void* dx) = nullptr;
    cudnnStatus_t (*cudnnGetConvolutionBackwardFilterAlgorithm_v7)(
        cudnnHandle_t, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t dy,
        cudnnConvolutionDescriptor_t, cudnnFilterDescriptor_t dw, int requested, int* returned,
        CudnnAlgoPerf*) = nullptr;
    cudnnStatus_t (*cudnnGetConvolutionBackwardFilterWorkspaceSize)(
        cudnnHandle_t, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t dy,
        cudnnConvolutionDescriptor_t, cudnnFilterDescriptor_t dw, int algo, size_t*) = nullptr;
    cudnnStatus_t (*cudnnConvolutionBackwardFilter)(
        cudnnHandle_t, const void* alpha, cudnnTensorDescriptor_t x_desc, const void* x,
        cudnnTensorDescriptor_t dy_desc, const void* dy, cudnnConvolutionDescriptor_t, int algo,
        void* workspace, size_t workspace_bytes, const void* beta, cudnnFilterDescriptor_t dw_desc,
        void* dw) = nullptr;
};

} // namespace envpin::verify
