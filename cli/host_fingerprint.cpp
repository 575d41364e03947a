#include "cli/host_fingerprint.hpp"

#include "sys/file.hpp"
#include "verify/host_probe.hpp"
#include "verify/report.hpp"

namespace envpin::cli {

std::string this_host_fingerprint()
{
    verify::HostProbeOptions options;
    options.envpin_executable = sys::self_executable();
    options.include_pythons = false;
    options.include_toolkits = false;
    return verify::host_fingerprint(verify::probe_host(options), verify::suite_version);
}

}  // namespace envpin::cli
