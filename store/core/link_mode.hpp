#pragma once
// How file contents enter the object store (and how restores take them out).
//
// The rule the default keeps: no write through an environment (in place, truncation, chmod,
// utimes, as root or owner) can change a stored object. A hardlinked object IS the environment's
// file, so only the explicit `hardlink` mode leaves objects shared for good.
#include <optional>
#include <string_view>

#include "base/settings.hpp"

namespace envpin::store {

enum class LinkMode {
    // What users ask for:
    automatic,  // reflink where the filesystem clones; else, on the store's filesystem, link now
                // and copy in the background (link_then_copy); else copy
    hardlink,   // opt-in: the object shares the environment file's inode for good, no bytes
                // written; a write in place into that file changes the snapshot (fsck names it)
    reflink,    // copy-on-write clone (btrfs, XFS, bcachefs): no bytes written, independent inode
    copy,       // bytes copied before the command returns: independent inode on any filesystem
    // What `automatic` becomes on a filesystem that cannot clone (never stored as a request):
    link_then_copy,  // linked now (no bytes on the critical path), then a background `envpin
                     // recover` copies each linked object to a fresh inode in the store and
                     // renames it over the object: the window is measured and reported
};

[[nodiscard]] constexpr std::string_view to_string(LinkMode mode)
{
    switch (mode) {
    case LinkMode::automatic: return "auto";
    case LinkMode::hardlink: return "hardlink";
    case LinkMode::reflink: return "reflink";
    case LinkMode::copy: return "copy";
    case LinkMode::link_then_copy: return "link-then-copy";
    }
    return "auto";
}

// The modes a user may request (--link-mode, the environments table).
inline constexpr LinkMode requestable_link_modes[] = {LinkMode::automatic, LinkMode::hardlink, LinkMode::reflink,
                                                      LinkMode::copy};

[[nodiscard]] constexpr std::optional<LinkMode> parse_link_mode(std::string_view text)
{
    for (const auto mode : requestable_link_modes) {
        if (to_string(mode) == text)
            return mode;
    }
    return std::nullopt;
}

// link_then_copy writes no bytes on the command's path, at the price of a window; when the bytes
// to store or restore are few, copying them at once costs a fraction of a second of disk and
// leaves no window. Below this many bytes (default 64 MiB; 0 links always), link_then_copy
// copies instead.
inline constexpr NumberSetting copy_below_setting{"ENVPIN_COPY_BELOW", 64LL << 20, 0, 1LL << 50, "bytes"};
[[nodiscard]] long long copy_below_bytes();

// The mode to use for `bytes` of new contents: `effective`, or copy where link_then_copy would
// link fewer than copy_below_bytes().
[[nodiscard]] LinkMode for_bytes(LinkMode effective, long long bytes);

// True for the effective modes that link environment files and objects (at least for a while).
[[nodiscard]] constexpr bool links(LinkMode mode)
{
    return mode == LinkMode::hardlink || mode == LinkMode::link_then_copy;
}

}  // namespace envpin::store
