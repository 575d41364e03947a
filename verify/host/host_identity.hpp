#pragma once
// What this host's verify fingerprint depends on, read from files alone (no library, no child
// process): the boot, the NVIDIA kernel module's version, the GPUs the driver lists and the
// device nodes this process can see. Equal identities give equal fingerprints, so the
// fingerprint (whose GPU models need NVML, a child of ~0.1 s) can be kept under it: another
// boot, driver, GPU set or container view gives another identity.
#include <filesystem>
#include <optional>
#include <string>

namespace envpin::verify {

// A digest of those files under `root` ("/" on a real host); nullopt where there is no NVIDIA
// kernel module (nothing worth keeping: the probe there is cheap) or ENVPIN_DRIVER_VERSION is set.
[[nodiscard]] std::optional<std::string> host_identity(const std::filesystem::path& root = "/");

}  // namespace envpin::verify
