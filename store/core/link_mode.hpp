#pragma once
// How file contents enter the object store (and how restores take them out).
#include <optional>
#include <string_view>

namespace envpin::store {

enum class LinkMode {
    automatic,  // reflink where the filesystem can, else hardlink on the same filesystem, else copy
    hardlink,   // the object shares the environment file's inode: no bytes written
    reflink,    // copy-on-write clone (btrfs, XFS, bcachefs): no bytes written, independent inode
    copy,       // bytes copied: independent inode on any filesystem
};

[[nodiscard]] constexpr std::string_view to_string(LinkMode mode)
{
    switch (mode) {
    case LinkMode::automatic: return "auto";
    case LinkMode::hardlink: return "hardlink";
    case LinkMode::reflink: return "reflink";
    case LinkMode::copy: return "copy";
    }
    return "auto";
}

[[nodiscard]] constexpr std::optional<LinkMode> parse_link_mode(std::string_view text)
{
    for (const auto mode : {LinkMode::automatic, LinkMode::hardlink, LinkMode::reflink, LinkMode::copy}) {
        if (to_string(mode) == text)
            return mode;
    }
    return std::nullopt;
}

}  // namespace envpin::store
