#pragma once
// This host's verify fingerprint (GPU models + driver + suite version), for "verified on this
// host": reset and log need it; probing costs one GPU child (no Python or toolkit scan).
#include <string>

namespace envpin::cli {

[[nodiscard]] std::string this_host_fingerprint();

}  // namespace envpin::cli
