// The python check with real interpreters: a venv that sees Debian's torch (python3-torch)
// trains on the CPU; one without torch fails with the hint; a "GPU host" whose torch sees no
// GPU fails; a diverging run fails naming NaN.
#include <gtest/gtest.h>

#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/verify_envs.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

class PythonCheck : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dir_ = new TempDir();
        with_torch_ = system_python_has_torch() && make_venv(*dir_ / "with-torch", true);
        without_torch_ = make_venv(*dir_ / "without-torch", false);
        // A torch whose import crashes the interpreter (as a damaged extension or a truncated
        // source file can): the check names the Python frame it died in.
        if (make_venv(*dir_ / "crashing", false)) {
            for (const auto& site : fs::directory_iterator(*dir_ / "crashing/lib"))
                write_text(site.path() / "site-packages/torch/__init__.py",
                           "import ctypes\nctypes.string_at(0)  # reads address 0: SIGSEGV\n");
            crashing_ = true;
        }
        // A torch that only says when it is imported and when training starts, into a log.
        if (make_venv(*dir_ / "ordered", false)) {
            for (const auto& site : fs::directory_iterator(*dir_ / "ordered/lib"))
                write_text(site.path() / "site-packages/torch/__init__.py", R"(import os
def _say(what):
    with open(os.environ["ENVPIN_TEST_ORDER_LOG"], "a") as log:
        log.write(what + "\n")
_say("python imported torch")
__version__ = "0.0.test"
class version:
    cuda = None
class cuda:
    @staticmethod
    def is_available():
        return False
def manual_seed(seed):
    _say("python trains")
    raise RuntimeError("this torch does not train")
)");
            ordered_ = true;
        }
        // A torch whose import fails, and whose half-made state then crashes the interpreter on
        // its way out (as a truncated torch source file did).
        if (make_venv(*dir_ / "half-imported", false)) {
            for (const auto& site : fs::directory_iterator(*dir_ / "half-imported/lib"))
                write_text(site.path() / "site-packages/torch/__init__.py",
                           "import atexit, ctypes\n"
                           "atexit.register(lambda: ctypes.string_at(0))  # reads address 0 at exit: SIGSEGV\n"
                           "raise ImportError(\"cannot import name 'Linear' from 'torch.nn.modules.linear'\")\n");
            half_imported_ = true;
        }
        // A venv whose Python maps a CUDA library that is not the environment's own at start-up
        // (a .pth line runs at every start, as LD_LIBRARY_PATH shadowing would load it).
        if (const auto cuda = cuda_library_dir(); cuda && with_torch_ && make_venv(*dir_ / "preloaded", true)) {
            for (const auto& site : fs::directory_iterator(*dir_ / "preloaded/lib"))
                write_text(site.path() / "site-packages/envpin_test_preload.pth",
                           "import ctypes; ctypes.CDLL('" + (*cuda / "libcudart.so.13").string() + "')\n");
            preloaded_ = true;
        }
    }
    static void TearDownTestSuite()
    {
        delete dir_;
        dir_ = nullptr;
    }
    static nlohmann::json python_check(const std::string& env, const std::vector<std::string>& extra = {})
    {
        std::vector<std::string> args{"verify", "--path", (*dir_ / env).string(), "--only", "python", "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto run = run_envpin(args, {{"CUDA_VISIBLE_DEVICES", "0"}});  // one visible GPU, if any
        return run.json()["checks"][0];
    }
    void need_torch()
    {
        if (!with_torch_)
            GTEST_SKIP() << "/usr/bin/python3 cannot import torch (Debian's python3-torch is not installed)";
    }
    static inline TempDir* dir_ = nullptr;
    static inline bool with_torch_ = false;
    static inline bool without_torch_ = false;
    static inline bool preloaded_ = false;
    static inline bool crashing_ = false;
    static inline bool ordered_ = false;
    static inline bool half_imported_ = false;
};

TEST_F(PythonCheck, ACrashNamesThePythonFrameItDiedIn)
{
    ASSERT_TRUE(crashing_);
    const auto check = python_check("crashing");
    EXPECT_EQ(check["status"], "fail");
    const auto detail = check["detail"].get<std::string>();
    EXPECT_TRUE(has(detail, "SIGSEGV")) << detail;
    EXPECT_TRUE(has(detail, "Fatal Python error: Segmentation fault")) << detail;
    EXPECT_TRUE(has(detail, "torch/__init__.py\", line 2")) << detail;
}

// The probe's own report names the cause; the crash that follows on the way out is told after
// it, and still fails the check.
TEST_F(PythonCheck, AnImportErrorBeforeACrashAtExitIsToldFirst)
{
    ASSERT_TRUE(half_imported_);
    const auto check = python_check("half-imported");
    EXPECT_EQ(check["status"], "fail");
    const auto detail = check["detail"].get<std::string>();
    EXPECT_TRUE(detail.starts_with("ImportError: cannot import name 'Linear'")) << detail;
    EXPECT_TRUE(has(detail, "killed by SIGSEGV")) << detail;
    EXPECT_TRUE(has(detail, "on its way out")) << detail;
}

// The python check starts beside the checks before it (importing torch costs seconds) but
// trains only after them: a training probe that waits for the import to happen sees it, and
// python's training comes after that probe ended.
TEST_F(PythonCheck, ImportsTorchBesideTheChecksBeforeItAndTrainsAfterThem)
{
    ASSERT_TRUE(ordered_);
    const auto log = *dir_ / "order.log";
    const auto probe = *dir_ / "train-probe.sh";
    write_text(probe, "#!/bin/sh\n"
                      "for i in $(seq 400); do grep -q imported \"$ENVPIN_TEST_ORDER_LOG\" 2>/dev/null && break; sleep 0.05; done\n"
                      "echo 'train probe ended' >> \"$ENVPIN_TEST_ORDER_LOG\"\n");
    fs::permissions(probe, fs::perms::owner_all);
    const auto run = run_envpin({"verify", "--path", (*dir_ / "ordered").string(), "--only", "train,python", "--device",
                                 "cpu", "--set", "train_binary=" + probe.string(), "--json"},
                                {{"ENVPIN_TEST_ORDER_LOG", log.string()}});
    const auto report = run.json();
    ASSERT_EQ(report["checks"].size(), 2u) << run.out;
    EXPECT_EQ(read_text(log), "python imported torch\ntrain probe ended\npython trains\n");
    const auto& python = report["checks"][1];
    EXPECT_EQ(python["name"], "python");
    EXPECT_TRUE(has(python["detail"], "this torch does not train")) << python["detail"];
    EXPECT_TRUE(python["measurements"]["phases"].contains("gate_wait_s")) << python["measurements"];
}

TEST_F(PythonCheck, TheEnvironmentsTorchTrainsOnTheCpu)
{
    need_torch();
    const auto check = python_check("with-torch", {"--device", "cpu"});
    EXPECT_EQ(check["status"], "pass") << check["detail"];
    EXPECT_EQ(check["unit"], "loss");
    EXPECT_LT(check["value"].get<double>(), check["threshold"].get<double>());
    EXPECT_EQ(check["measurements"]["device"], "cpu");
    EXPECT_FALSE(check["measurements"]["torch"].get<std::string>().empty());
    EXPECT_GT(check["measurements"]["samples_per_s"].get<double>(), 0);
    // What this torch does with FP32 matrix work by default, read from torch itself.
    const auto& tf32 = check["measurements"]["tf32"];
    ASSERT_TRUE(tf32.contains("matmul_allow_tf32")) << check["measurements"];
    const auto detail = check["detail"].get<std::string>();
    EXPECT_TRUE(has(detail, tf32["matmul_allow_tf32"].get<bool>() ? "FP32 matmuls on TF32" : "FP32 matmuls strict"))
        << detail;
    EXPECT_TRUE(has(detail, "precision \"" + tf32["float32_matmul_precision"].get<std::string>() + "\"")) << detail;
}

TEST_F(PythonCheck, MissingTorchFailsWithTheHint)
{
    ASSERT_TRUE(without_torch_);
    const auto check = python_check("without-torch");
    EXPECT_EQ(check["status"], "fail");
    EXPECT_TRUE(has(check["detail"], "No module named 'torch'")) << check["detail"];
    EXPECT_TRUE(has(check["hint"], "torch is not installed")) << check["hint"];
}

TEST_F(PythonCheck, AGpuHostWhereTorchSeesNoGpuFails)
{
    need_torch();
    // gpu_count overrides what the host probe found: a host with one GPU and a CPU-only torch.
    const auto check = python_check("with-torch", {"--set", "gpu_count=1"});
    EXPECT_EQ(check["status"], "fail");
    EXPECT_TRUE(has(check["detail"], "torch.cuda.is_available() is False on a host with 1 GPU")) << check["detail"];
    EXPECT_FALSE(check["hint"].get<std::string>().empty());
}

TEST_F(PythonCheck, DivergingTrainingFailsNamingNaN)
{
    need_torch();
    const auto check = python_check("with-torch", {"--device", "cpu", "--set", "python_learning_rate=1e10"});
    EXPECT_EQ(check["status"], "fail");
    EXPECT_TRUE(has(check["detail"], "NaN")) << check["detail"];
    EXPECT_TRUE(has(check["hint"], "NaN")) << check["hint"];
}

TEST_F(PythonCheck, ACudaLibraryFromOutsideTheEnvironmentIsNamed)
{
    need_torch();
    if (!preloaded_)
        GTEST_SKIP() << "no CUDA toolkit libraries to preload";
    const auto check = python_check("preloaded", {"--device", "cpu"});
    EXPECT_EQ(check["status"], "fail");
    EXPECT_TRUE(has(check["detail"], "torch loaded from outside the environment: ")) << check["detail"];
    EXPECT_TRUE(has(check["detail"], "libcudart.so.13")) << check["detail"];
    EXPECT_TRUE(has(check["hint"], "LD_LIBRARY_PATH")) << check["hint"];
}

}  // namespace
}  // namespace envpin::test
