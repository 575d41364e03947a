// envpin's LibTorch training probe. Trains a small MLP (784 -> 128 -> 10) on synthetic,
// linearly separable data and prints one JSON object on stdout:
//   {"torch": "2.11.0", "device": "cuda", "autocast": "bf16", "steps": 300, "batch": 512,
//    "learning_rate": 0.05, "initial_loss": 2.4, "final_loss": 0.01, "accuracy": 1.0,
//    "nonfinite_step": null, "seconds": 0.4, "samples_per_s": 380000, "libraries": ["/..."]}
// or {"error": "..."} with exit status 2. envpin judges the figures; the probe only measures.
// Usage: envpin-train-probe [--device cpu|cuda] [--steps N] [--batch N] [--lr X] [--seed N]
#include <torch/torch.h>

#include <ATen/autocast_mode.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Options {
    std::string device = "cpu";
    long steps = 300;
    long batch = 512;
    double learning_rate = 0.05;
    long seed = 20261127;
};

std::string json_string(const std::string& text)
{
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

// A finite number, or null (JSON has no NaN or Infinity).
std::string json_number(double value)
{
    if (!std::isfinite(value))
        return "null";
    char text[64];
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
}

int fail(const std::string& message)
{
    std::printf("{\"error\": %s}\n", json_string(message).c_str());
    return 2;
}

bool parse_options(int argc, char** argv, Options& options, std::string& problem)
{
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) {
            problem = "missing value after " + flag;
            return false;
        }
        const char* value = argv[++i];
        if (flag == "--device")
            options.device = value;
        else if (flag == "--steps")
            options.steps = std::strtol(value, nullptr, 10);
        else if (flag == "--batch")
            options.batch = std::strtol(value, nullptr, 10);
        else if (flag == "--lr")
            options.learning_rate = std::strtod(value, nullptr);
        else if (flag == "--seed")
            options.seed = std::strtol(value, nullptr, 10);
        else {
            problem = "unknown option " + flag;
            return false;
        }
    }
    if (options.device != "cpu" && options.device != "cuda") {
        problem = "--device must be cpu or cuda";
        return false;
    }
    if (options.steps < 20 || options.batch < 1) {
        problem = "--steps must be at least 20 and --batch at least 1";
        return false;
    }
    return true;
}

// Turns autocast to BF16 on or off for CUDA; the API changed in torch 2.4.
void set_cuda_autocast(bool enabled)
{
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, enabled);
#else
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(enabled);
#endif
    if (!enabled)
        at::autocast::clear_cache();
}

struct Mlp : torch::nn::Module {
    Mlp()
    {
        hidden = register_module("hidden", torch::nn::Linear(784, 128));
        output = register_module("output", torch::nn::Linear(128, 10));
    }
    torch::Tensor forward(const torch::Tensor& x) { return output->forward(torch::relu(hidden->forward(x))); }
    torch::nn::Linear hidden{nullptr};
    torch::nn::Linear output{nullptr};
};

// Synthetic classification: ten fixed class centres in 784 dimensions, samples scattered
// around them. The classes are far apart relative to the noise, so a healthy stack drives
// the loss near zero within a few hundred steps.
struct Data {
    torch::Tensor centres;
    torch::Tensor sample_labels(long batch) const
    {
        return torch::randint(0, 10, {batch}, torch::TensorOptions().dtype(torch::kLong).device(centres.device()));
    }
    torch::Tensor inputs_for(const torch::Tensor& labels) const
    {
        return centres.index_select(0, labels) + 0.5 * torch::randn({labels.size(0), 784}, centres.options());
    }
};

// Every shared library this process has mapped (/proc/self/maps), resolved, as a JSON array:
// envpin checks that the CUDA libraries among them are the environment's own.
std::string mapped_libraries_json()
{
    std::string json = "[";
    std::string previous;
    if (FILE* maps = std::fopen("/proc/self/maps", "r")) {
        char line[PATH_MAX + 256];
        while (std::fgets(line, sizeof line, maps) != nullptr) {
            const char* path = std::strchr(line, '/');
            if (path == nullptr || std::strstr(path, ".so") == nullptr)
                continue;
            std::string file(path);
            file.erase(file.find_last_not_of("\n") + 1);
            char resolved[PATH_MAX];
            if (::realpath(file.c_str(), resolved) != nullptr)
                file = resolved;
            if (file == previous)
                continue;
            json += (json.size() > 1 ? ", " : "") + json_string(file);
            previous = file;
        }
        std::fclose(maps);
    }
    return json + "]";
}

int run(const Options& options)
{
    torch::manual_seed(static_cast<uint64_t>(options.seed));
    const bool cuda = options.device == "cuda";
    if (cuda && !torch::cuda::is_available())
        return fail("CUDA is not available to LibTorch (torch::cuda::is_available() is false)");
    const torch::Device device = cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    Data data{0.2 * torch::randn({10, 784}, torch::TensorOptions().device(device))};
    auto model = std::make_shared<Mlp>();
    model->to(device);
    torch::optim::SGD optimizer(model->parameters(),
                                torch::optim::SGDOptions(options.learning_rate).momentum(0.9));
    // Losses stay on the device; reading them once at the end avoids a sync per step.
    auto losses = torch::zeros({options.steps}, torch::TensorOptions().device(device));
    const long warmup = 5;
    auto start = std::chrono::steady_clock::now();
    for (long step = 0; step < options.steps; ++step) {
        if (step == warmup) {
            if (cuda)
                losses.sum().item<float>();  // synchronize before starting the clock
            start = std::chrono::steady_clock::now();
        }
        const auto labels = data.sample_labels(options.batch);
        const auto inputs = data.inputs_for(labels);
        optimizer.zero_grad();
        set_cuda_autocast(cuda);
        auto loss = torch::nn::functional::cross_entropy(model->forward(inputs), labels);
        set_cuda_autocast(false);
        loss.backward();
        optimizer.step();
        losses.index_put_({step}, loss.detach().to(torch::kFloat));
    }
    const auto host_losses = losses.to(torch::kCPU);  // synchronizes
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto* values = host_losses.data_ptr<float>();

    long nonfinite_step = -1;
    for (long step = 0; step < options.steps && nonfinite_step < 0; ++step)
        if (!std::isfinite(values[step]))
            nonfinite_step = step;
    double final_loss = 0;
    for (long step = options.steps - 10; step < options.steps; ++step)
        final_loss += values[step] / 10.0;

    torch::NoGradGuard no_grad;
    const auto labels = data.sample_labels(2048);
    const auto predicted = model->forward(data.inputs_for(labels)).argmax(1);
    const double accuracy = predicted.eq(labels).to(torch::kFloat).mean().item<float>();
    const double samples_per_s = static_cast<double>((options.steps - warmup) * options.batch) / seconds;

    std::printf("{\"probe\": \"envpin-train-probe\", \"torch\": %s, \"device\": %s, \"autocast\": %s, "
                "\"steps\": %ld, \"batch\": %ld, \"learning_rate\": %s, \"initial_loss\": %s, "
                "\"final_loss\": %s, \"accuracy\": %s, \"nonfinite_step\": %s, \"seconds\": %s, "
                "\"samples_per_s\": %s, \"libraries\": %s}\n",
                json_string(TORCH_VERSION).c_str(), json_string(options.device).c_str(),
                json_string(cuda ? "bf16" : "none").c_str(), options.steps, options.batch,
                json_number(options.learning_rate).c_str(), json_number(values[0]).c_str(),
                json_number(final_loss).c_str(), json_number(accuracy).c_str(),
                nonfinite_step < 0 ? "null" : std::to_string(nonfinite_step).c_str(),
                json_number(seconds).c_str(), json_number(samples_per_s).c_str(), mapped_libraries_json().c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    Options options;
    std::string problem;
    if (!parse_options(argc, argv, options, problem))
        return fail(problem);
    try {
        return run(options);
    } catch (const std::exception& error) {
        // c10::Error derives from std::exception; its first line names the failing call.
        return fail(error.what());
    }
}
