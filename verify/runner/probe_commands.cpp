#include "verify/runner/probe_commands.hpp"

#include "kernels/kernels.hpp"
#include "verify/checks/kernel_launches.hpp"
#include "verify/vendor/cuda_driver.hpp"
#include "verify/vendor/gpu_session.hpp"

namespace envpin::verify {

nlohmann::json probe_vector_add()
{
    if (!kernels::built())
        return {{"status", "skip"}, {"detail", "test kernels not built (nvcc absent at build time)"}};
    auto cuda = CudaDriver::load();
    if (!cuda)
        return {{"status", "skip"}, {"detail", "no NVIDIA driver: " + cuda.error().message}};
    if (auto rc = cuda->cuInit(0); rc != CUDA_SUCCESS)
        return {{"status", "error"}, {"detail", cuda->error("cuInit", rc).message}};
    int count = 0;
    cuda->cuDeviceGetCount(&count);
    if (count == 0)
        return {{"status", "skip"}, {"detail", "the driver reports no GPU"}};
    nlohmann::json gpus = nlohmann::json::array();
    bool all_pass = true;
    for (int index = 0; index < count; ++index) {
        auto session = GpuSession::open(*cuda, index);
        if (!session)
            return {{"status", "error"}, {"detail", session.error().describe()}, {"gpus", gpus}};
        auto result = run_vector_add(*session, size_t{1} << 24);
        if (!result)
            return {{"status", "error"}, {"detail", result.error().describe()}, {"gpus", gpus}};
        all_pass = all_pass && result->wrong == 0;
        gpus.push_back({{"index", index},
                        {"elements", result->elements},
                        {"wrong", result->wrong},
                        {"first_wrong", result->first_wrong},
                        {"ms", result->milliseconds}});
    }
    return {{"status", all_pass ? "pass" : "fail"}, {"gpus", gpus}};
}

}  // namespace envpin::verify
