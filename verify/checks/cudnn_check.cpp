// The `cudnn` check: a convolution forward, backward-data and backward-filter pass through the
// environment's own cuDNN (legacy API) on every GPU, against the direct CPU reference.
#include <algorithm>
#include <filesystem>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "verify/checks/gpu_check_support.hpp"
#include "verify/checks/gpu_figures.hpp"
#include "verify/checks/registry.hpp"
#include "verify/host/proc_maps.hpp"
#include "verify/vendor/cudnn_api.hpp"

namespace envpin::verify {
namespace {

constexpr double error_limit = 1e-3; // fp32 lands near 1e-6; a wrong result near 1

struct CudnnStack {
    CudaRuntime runtime;
    CudnnApi cudnn;
};

Expected<CudnnStack> load_stack(const ProbeRequest& request)
{
    const auto cudart = ENVPIN_TRY(locate_library(request, "cudart"));
    const auto cudnn = ENVPIN_TRY(locate_library(request, "cudnn"));
    return CudnnStack{ENVPIN_TRY(CudaRuntime::load(cudart)), ENVPIN_TRY(CudnnApi::load(cudnn))};
}

// Host tensors of one run, uniform in [-1, 1).
struct ConvData {
    std::vector<float> x, w, dy;
};

ConvData random_data(const ConvShape& shape, unsigned long long seed)
{
    std::mt19937_64 generator(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    ConvData data{std::vector<float>(shape.input_size()), std::vector<float>(shape.filter_size()),
                  std::vector<float>(shape.output_size())};
    for (auto* tensor : {&data.x, &data.w, &data.dy})
        std::ranges::generate(*tensor, [&] { return uniform(generator); });
    return data;
}

// The first algorithm cuDNN's heuristics offer that reports success.
Expected<CudnnAlgoPerf> pick(const CudnnApi& api, const char* call, cudnnStatus_t status,
                             const CudnnAlgoPerf* offers, int count)
{
    if (status != 0)
        return std::unexpected(api.error(call, status));
    for (int i = 0; i < count; ++i)
        if (offers[i].status == 0)
            return offers[i];
    return fail(ErrorCode::cuda, "{}: no usable algorithm among {} offered", call, count);
}

struct Descriptors {
    CudnnTensor x, y;
    CudnnFilter w;
    CudnnConvolution convolution;
};

struct Algorithms {
    CudnnAlgoPerf forward, backward_data, backward_filter;
    size_t workspace = 0;
};

Expected<Algorithms> choose_algorithms(const CudnnApi& api, const CudnnHandle& handle,
                                       const Descriptors& d)
{
    CudnnAlgoPerf offers[16];
    int count = 0;
    Algorithms chosen;
    auto status = api.cudnnGetConvolutionForwardAlgorithm_v7(
        handle.get(), d.x.get(), d.w.get(), d.convolution.get(), d.y.get(), 16, &count, offers);
    chosen.forward =
        ENVPIN_TRY(pick(api, "cudnnGetConvolutionForwardAlgorithm_v7", status, offers, count));
    status = api.cudnnGetConvolutionBackwardDataAlgorithm_v7(
        handle.get(), d.w.get(), d.y.get(), d.convolution.get(), d.x.get(), 16, &count, offers);
    chosen.backward_data =
        ENVPIN_TRY(pick(api, "cudnnGetConvolutionBackwardDataAlgorithm_v7", status, offers, count));
    status = api.cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        handle.get(), d.x.get(), d.y.get(), d.convolution.get(), d.w.get(), 16, &count, offers);
    chosen.backward_filter = ENVPIN_TRY(
        pick(api, "cudnnGetConvolutionBackwardFilterAlgorithm_v7", status, offers, count));
    size_t bytes[3] = {};
    if (auto rc = api.cudnnGetConvolutionForwardWorkspaceSize(handle.get(), d.x.get(), d.w.get(),
                                                              d.convolution.get(), d.y.get(),
                                                              chosen.forward.algo, &bytes[0]);
        rc != 0)
        return std::unexpected(api.error("cudnnGetConvolutionForwardWorkspaceSize", rc));
    if (auto rc = api.cudnnGetConvolutionBackwardDataWorkspaceSize(
            handle.get(), d.w.get(), d.y.get(), d.convolution.get(), d.x.get(),
            chosen.backward_data.algo, &bytes[1]);
        rc != 0)
        return std::unexpected(api.error("cudnnGetConvolutionBackwardDataWorkspaceSize", rc));
    if (auto rc = api.cudnnGetConvolutionBackwardFilterWorkspaceSize(
            handle.get(), d.x.get(), d.y.get(), d.convolution.get(), d.w.get(),
            chosen.backward_filter.algo, &bytes[2]);
        rc != 0)
        return std::unexpected(api.error("cudnnGetConvolutionBackwardFilterWorkspaceSize", rc));
    chosen.workspace = std::max({bytes[0], bytes[1], bytes[2], size_t{256}});
    return chosen;
}

struct ConvOutcome {
    SampleError forward, backward_data, backward_filter;
    Algorithms algorithms;
    [[nodiscard]] double worst() const
    {
        return std::max({forward.relative, backward_data.relative, backward_filter.relative});
    }
    [[nodiscard]] bool within(double limit) const
    {
        return forward.within(limit) && backward_data.within(limit) &&
               backward_filter.within(limit);
    }
};

Expected<std::vector<double>> download_all(const CudaRuntime& rt, const RuntimeBuffer& buffer)
{
    std::vector<float> values(buffer.bytes / sizeof(float));
    ENVPIN_TRY(rt.download(values.data(), buffer.get(), buffer.bytes));
    return std::vector<double>(values.begin(), values.end());
}

// The three passes on the current GPU; outputs are poisoned with NaN first, so an element
// cuDNN leaves unwritten fails the comparison.
Expected<ConvOutcome> run_passes(const CudnnStack& stack, const CudnnHandle& handle,
                                 const ConvShape& shape, const ConvData& data)
{
    const auto& rt = stack.runtime;
    const auto& api = stack.cudnn;
    const Descriptors d{ENVPIN_TRY(api.tensor(shape.n, shape.c, shape.h, shape.w)),
                        ENVPIN_TRY(api.tensor(shape.n, shape.k, shape.h, shape.w)),
                        ENVPIN_TRY(api.filter(shape.k, shape.c, shape.r, shape.s)),
                        ENVPIN_TRY(api.convolution(shape))};
    ConvOutcome outcome;
    outcome.algorithms = ENVPIN_TRY(choose_algorithms(api, handle, d));
    const auto x = ENVPIN_TRY(rt.allocate(data.x.size() * 4)),
               w = ENVPIN_TRY(rt.allocate(data.w.size() * 4));
    const auto dy = ENVPIN_TRY(rt.allocate(data.dy.size() * 4)),
               y = ENVPIN_TRY(rt.allocate(data.dy.size() * 4));
    const auto dx = ENVPIN_TRY(rt.allocate(data.x.size() * 4)),
               dw = ENVPIN_TRY(rt.allocate(data.w.size() * 4));
    const auto workspace = ENVPIN_TRY(rt.allocate(outcome.algorithms.workspace));
    ENVPIN_TRY(rt.upload(x, data.x.data(), x.bytes));
    ENVPIN_TRY(rt.upload(w, data.w.data(), w.bytes));
    ENVPIN_TRY(rt.upload(dy, data.dy.data(), dy.bytes));
    for (const auto* output : {&y, &dx, &dw})
        ENVPIN_TRY(rt.fill_bytes(*output, 0xff));
    ENVPIN_TRY(rt.synchronize_device());
    const float one = 1, zero = 0;
    const auto& algos = outcome.algorithms;
    if (auto rc = api.cudnnConvolutionForward(
            handle.get(), &one, d.x.get(), x.get(), d.w.get(), w.get(), d.convolution.get(),
            algos.forward.algo, workspace.get(), workspace.bytes, &zero, d.y.get(), y.get());
        rc != 0)
        return std::unexpected(api.error("cudnnConvolutionForward", rc));
    if (auto rc = api.cudnnConvolutionBackwardData(
            handle.get(), &one, d.w.get(), w.get(), d.y.get(), dy.get(), d.convolution.get(),
            algos.backward_data.algo, workspace.get(), workspace.bytes, &zero, d.x.get(), dx.get());
        rc != 0)
        return std::unexpected(api.error("cudnnConvolutionBackwardData", rc));
    if (auto rc = api.cudnnConvolutionBackwardFilter(handle.get(), &one, d.x.get(), x.get(),
                                                     d.y.get(), dy.get(), d.convolution.get(),
                                                     algos.backward_filter.algo, workspace.get(),
                                                     workspace.bytes, &zero, d.w.get(), dw.get());
        rc != 0)
        return std::unexpected(api.error("cudnnConvolutionBackwardFilter", rc));
    ENVPIN_TRY(rt.synchronize_device());
    outcome.forward =
        compare_samples(ENVPIN_TRY(download_all(rt, y)), conv_forward(shape, data.x, data.w));
    outcome.backward_data = compare_samples(ENVPIN_TRY(download_all(rt, dx)),
                                            conv_backward_data(shape, data.dy, data.w));
    outcome.backward_filter = compare_samples(ENVPIN_TRY(download_all(rt, dw)),
                                              conv_backward_filter(shape, data.x, data.dy));
    return outcome;
}

Expected<ConvOutcome> run_gpu(const CudnnStack& stack, int index, const ConvShape& shape,
                              const ConvData& data)
{
    const auto stream = ENVPIN_TRY(stack.runtime.create_stream(index));
    const auto handle = ENVPIN_TRY(stack.cudnn.create_handle(stream.get()));
    return run_passes(stack, handle, shape, data);
}

nlohmann::json outcome_json(int index, const std::string& name, const ConvOutcome& outcome)
{
    const auto pass = [](const SampleError& error, const CudnnAlgoPerf& algo) {
        return nlohmann::json{{"relative_error", error.relative},
                              {"non_finite", error.non_finite},
                              {"elements", error.samples},
                              {"algorithm", algo.algo}};
    };
    const auto& algos = outcome.algorithms;
    return {{"index", index},
            {"name", name},
            {"forward", pass(outcome.forward, algos.forward)},
            {"backward_data", pass(outcome.backward_data, algos.backward_data)},
            {"backward_filter", pass(outcome.backward_filter, algos.backward_filter)}};
}

// libcudnn*.so files mapped from another directory than the environment's libcudnn.so.9.
std::vector<std::string> foreign_sublibraries(const SharedLibrary& cudnn)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto home = fs::weakly_canonical(fs::path(cudnn.mapped_path()), ec).parent_path();
    std::vector<std::string> foreign;
    for (const auto& file : mapped_files_here("libcudnn"))
        if (fs::weakly_canonical(fs::path(file), ec).parent_path() != home)
            foreign.push_back(file);
    return foreign;
}

nlohmann::json libraries_json(const CudnnStack& stack)
{
    const int runtime = stack.runtime.version();
    const long long cudnn = stack.cudnn.version();
    auto cudnn_json = library_json(stack.cudnn.library, cudnn, dotted_version(cudnn));
    cudnn_json["mapped"] = mapped_files_here("libcudnn");
    return {{"cudart", library_json(stack.runtime.library, runtime, cuda_version_text(runtime))},
            {"cudnn", cudnn_json}};
}

} // namespace

CheckResult run_cudnn_check(const ProbeRequest& request)
{
    CheckResult result;
    result.unit = "relative error";
    result.threshold = error_limit;
    auto stack = load_stack(request);
    if (!stack)
        return finish_with(std::move(result), stack.error());
    result.measurements = {{"libraries", libraries_json(*stack)},
                           {"gpus", nlohmann::json::array()}};
    auto inventory = open_gpus(UsesTestKernels::no);
    if (!inventory)
        return finish_with(std::move(result), inventory.error());
    const ConvShape shape;
    const auto seed = std::random_device{}();
    const auto data = random_data(shape, seed);
    result.measurements["shape"] = {{"n", shape.n}, {"c", shape.c}, {"h", shape.h}, {"w", shape.w},
                                    {"k", shape.k}, {"r", shape.r}, {"s", shape.s}};
    result.measurements["seed"] = seed;
    std::vector<std::string> problems;
    double worst = 0;
    const auto host = host_gpus(request);
    for (int index = 0; index < inventory->count; ++index) {
        auto outcome = run_gpu(*stack, index, shape, data);
        if (!outcome)
            return finish_with(std::move(result),
                               outcome.error().with_context(fmt::format("GPU {}", index)));
        result.measurements["gpus"].push_back(
            outcome_json(index, gpu_label(inventory->driver, index, host), *outcome));
        worst = std::max(worst, outcome->worst());
        if (!outcome->within(error_limit))
            problems.push_back(
                fmt::format("GPU {}: results differ from the reference (relative "
                            "errors forward {:.3g}, backward data {:.3g}, backward "
                            "filter {:.3g}; NaN/Inf {})",
                            index, outcome->forward.relative, outcome->backward_data.relative,
                            outcome->backward_filter.relative,
                            outcome->forward.non_finite + outcome->backward_data.non_finite +
                                outcome->backward_filter.non_finite));
    }
    // Mapped only now: cuDNN loads its sub-libraries on first use.
    result.measurements["libraries"]["cudnn"]["mapped"] = mapped_files_here("libcudnn");
    const auto foreign = foreign_sublibraries(stack->cudnn.library);
    if (!foreign.empty())
        problems.push_back("cuDNN sub-libraries came from outside the environment: " +
                           join(foreign, ", "));
    result.value = worst;
    result.status = problems.empty() ? CheckStatus::pass : CheckStatus::fail;
    result.detail =
        problems.empty()
            ? fmt::format("conv {}x{}x{}x{} * {}x{}x{}x{} forward, backward data and backward "
                          "filter on {} GPU{}: largest relative error {:.2g} (limit {:.0e})",
                          shape.n, shape.c, shape.h, shape.w, shape.k, shape.c, shape.r, shape.s,
                          inventory->count, inventory->count == 1 ? "" : "s", worst, error_limit)
            : join(problems, "; ");
    if (!foreign.empty())
        result.hint = "another cuDNN shadows the environment's (usually through LD_LIBRARY_PATH): "
                      "remove that directory from LD_LIBRARY_PATH";
    else if (!problems.empty())
        result.hint =
            "cuDNN computed wrong results: suspect the GPU (dcgmi diag -r 3) or a damaged "
            "cuDNN (restore the environment)";
    return result;
}

} // namespace envpin::verify
