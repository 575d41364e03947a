#include "cli/host_fingerprint.hpp"

#include "base/strings.hpp"
#include "sys/file.hpp"
#include "verify/host/host_identity.hpp"
#include "verify/host/host_probe.hpp"
#include "verify/runner/report.hpp"

namespace envpin::cli {
namespace fs = std::filesystem;
namespace {

// "IDENTITY\nFINGERPRINT\n": the fingerprint when the identity matches.
std::optional<std::string> kept_fingerprint(const fs::path& file, const std::string& identity)
{
    const auto text = sys::read_file(file, 4096);
    if (!text)
        return std::nullopt;
    const auto lines = split(*text, '\n');
    if (lines.size() < 2 || lines[0] != identity || lines[1].empty())
        return std::nullopt;
    return std::string(lines[1]);
}

std::string probe_fingerprint(bool& keepable)
{
    verify::HostProbeOptions options;
    options.envpin_executable = sys::self_executable();
    options.include_pythons = false;
    options.include_toolkits = false;
    const auto facts = verify::probe_host(options);
    keepable = !facts.gpus.empty() && !facts.gpu_problem;  // a failed NVML reading is not kept
    return verify::host_fingerprint(facts, verify::suite_version);
}

}  // namespace

std::string this_host_fingerprint(const fs::path& store_root)
{
    const auto identity = verify::host_identity();
    const auto file = store_root / "cache" / "host-fingerprint";
    if (identity)
        if (auto kept = kept_fingerprint(file, *identity))
            return *kept;
    bool keepable = false;
    auto fingerprint = probe_fingerprint(keepable);
    std::error_code ec;
    if (identity && keepable && fs::is_directory(store_root, ec)) {
        fs::create_directories(file.parent_path(), ec);
        (void)sys::write_file_atomic(file, *identity + "\n" + fingerprint + "\n", 0600);  // a cache: best effort
    }
    return fingerprint;
}

}  // namespace envpin::cli
