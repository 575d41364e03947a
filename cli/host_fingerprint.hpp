#pragma once
// This host's verify fingerprint (GPU models + driver + suite version), for "verified on this
// host": reset, status, log, list and gate need it. Probing costs one GPU child (no Python or
// toolkit scan), about 0.1 s where a driver starts up; on a host with the NVIDIA module the
// answer is kept in STORE/cache/host-fingerprint under the host's identity
// (verify/host/host_identity.hpp) and probed again only when that changes.
#include <filesystem>
#include <string>

namespace envpin::cli {

[[nodiscard]] std::string this_host_fingerprint(const std::filesystem::path& store_root);

}  // namespace envpin::cli
