#include "verify/host/arch_coverage.hpp"

#include "base/strings.hpp"

namespace envpin::verify {

std::optional<ArchEntry> parse_arch_entry(std::string_view text)
{
    ArchEntry entry;
    if (text.starts_with("sm_"))
        text.remove_prefix(3);
    else if (text.starts_with("compute_")) {
        text.remove_prefix(8);
        entry.ptx = true;
    } else
        return std::nullopt;
    if (text.ends_with("a") || text.ends_with("f")) {
        // "a": exactly this CC; "f" (family) runs on later minors of the same major like plain SASS.
        entry.arch_specific = text.ends_with("a");
        text.remove_suffix(1);
    }
    if (text.size() < 2 || !all_digits(text))
        return std::nullopt;
    const auto number = parse_integer(text);
    if (!number)
        return std::nullopt;
    entry.cc = {static_cast<int>(*number / 10), static_cast<int>(*number % 10)};
    return entry;
}

std::vector<std::string> split_arch_list(std::string_view text)
{
    std::vector<std::string> entries;
    std::string current;
    for (const char c : text) {
        if (c == ' ' || c == ',' || c == ';' || c == '\t' || c == '\n') {
            if (!current.empty())
                entries.push_back(std::move(current));
            current.clear();
        } else
            current += c;
    }
    if (!current.empty())
        entries.push_back(std::move(current));
    return entries;
}

std::optional<std::string> covering_arch(const std::vector<std::string>& arch_list, ComputeCapability gpu,
                                         bool ptx_allowed)
{
    // The best match is what CUDA itself loads: the newest SASS the GPU can run, else the
    // newest PTX it can JIT.
    std::optional<std::pair<ArchEntry, std::string>> sass, ptx;
    for (const auto& text : arch_list) {
        const auto entry = parse_arch_entry(text);
        if (!entry)
            continue;
        if (!entry->ptx) {
            const bool runs = entry->arch_specific ? entry->cc == gpu
                                                   : entry->cc.major == gpu.major && entry->cc.minor <= gpu.minor;
            if (runs && (!sass || sass->first.cc < entry->cc))
                sass = {{*entry, text}};
        } else if (ptx_allowed && entry->cc <= gpu && (!ptx || ptx->first.cc < entry->cc))
            ptx = {{*entry, text}};
    }
    if (sass)
        return sass->second;
    if (ptx)
        return ptx->second;
    return std::nullopt;
}

}  // namespace envpin::verify
