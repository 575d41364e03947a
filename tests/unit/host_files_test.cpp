// The host probe's parsers against the real formats of the files they read.
#include <gtest/gtest.h>

#include "verify/host/host_files.hpp"

namespace envpin::verify {
namespace {

TEST(ProcDriverVersion, ProprietaryModule)
{
    constexpr auto text =
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n"
        "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n";
    EXPECT_EQ(parse_proc_driver_version(text), "535.104.05");
}

TEST(ProcDriverVersion, OpenModule)
{
    constexpr auto text =
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  "
        "(dvs-builder@U22-I3-AE18-09-3)  Thu Sep 25 01:13:32 UTC 2025\n"
        "GCC version:  gcc version 13.3.0 (Ubuntu 13.3.0-6ubuntu2~24.04)\n";
    EXPECT_EQ(parse_proc_driver_version(text), "580.95.05");
}

TEST(ProcDriverVersion, Aarch64AndTwoComponentVersions)
{
    EXPECT_EQ(parse_proc_driver_version(
                  "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  550.54  Release Build\n"),
              "550.54");
}

TEST(ProcDriverVersion, IgnoresGccLineAndGarbage)
{
    EXPECT_EQ(parse_proc_driver_version("GCC version:  gcc version 12.3.0\n"), std::nullopt);
    EXPECT_EQ(parse_proc_driver_version(""), std::nullopt);
    EXPECT_EQ(parse_proc_driver_version("NVRM version: garbage\n"), std::nullopt);
}

TEST(SysModuleVersion, BareVersion)
{
    EXPECT_EQ(parse_sys_module_version("580.95.05\n"), "580.95.05");
    EXPECT_EQ(parse_sys_module_version("not a version\n"), std::nullopt);
}

TEST(NvidiaSmi, FirstGpuLine)
{
    EXPECT_EQ(parse_nvidia_smi_driver("580.95.05\n580.95.05\n"), "580.95.05");
    EXPECT_EQ(parse_nvidia_smi_driver("NVIDIA-SMI has failed because it couldn't communicate "
                                      "with the NVIDIA driver.\n"),
              std::nullopt);
}

TEST(CudaVersionJson, RealToolkitFile)
{
    constexpr auto text = R"({
   "cuda" : {
      "name" : "CUDA SDK",
      "version" : "12.4.1"
   },
   "cuda_cccl" : {
      "name" : "CUDA C++ Core Compute Libraries",
      "version" : "12.4.127"
   }
})";
    EXPECT_EQ(parse_cuda_version_json(text), "12.4.1");
}

TEST(CudaVersionJson, RejectsMalformed)
{
    EXPECT_EQ(parse_cuda_version_json("{"), std::nullopt);
    EXPECT_EQ(parse_cuda_version_json(R"({"cuda": "12.4"})"), std::nullopt);
    EXPECT_EQ(parse_cuda_version_json(R"({"cuda": {"version": 12}})"), std::nullopt);
}

TEST(CudaHeader, VersionDefine)
{
    EXPECT_EQ(parse_cuda_header_version("#ifndef __cuda_cuda_h__\n#define CUDA_VERSION 13000\n"), "13.0");
    EXPECT_EQ(parse_cuda_header_version("#define CUDA_VERSION 12080\n"), "12.8");
    EXPECT_EQ(parse_cuda_header_version("#define CUDA_API_PER_THREAD\n"), std::nullopt);
}

TEST(OsRelease, PrettyName)
{
    EXPECT_EQ(parse_os_release("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
              "Debian GNU/Linux 12 (bookworm)");
    EXPECT_EQ(parse_os_release("NAME=x\n"), std::nullopt);
}

TEST(PythonVersion, Output)
{
    EXPECT_EQ(parse_python_version_output("Python 3.12.3\n"), "3.12.3");
    EXPECT_EQ(parse_python_version_output("Python 3.13.0rc1\n"), "3.13.0rc1");
    EXPECT_EQ(parse_python_version_output("pyenv: python3.9: command not found\n"), std::nullopt);
}

}  // namespace
}  // namespace envpin::verify
