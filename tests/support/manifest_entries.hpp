#pragma once
// Manifest entries for tests of the manifest's pure logic: a directory, a file (its digest the
// sha256 of `content`, a fixed mtime) and a symlink, as a walk would record them.
#include <string>
#include <string_view>
#include <utility>

#include "store/core/manifest.hpp"

namespace envpin::test {

inline store::ManifestEntry directory(std::string path, unsigned mode = 0755)
{
    return {std::move(path), store::EntryKind::directory, mode, 0, 0, {}, {}};
}

inline store::ManifestEntry file(std::string path, std::string_view content, unsigned mode = 0644)
{
    return {std::move(path), store::EntryKind::file, mode, static_cast<long long>(content.size()), 1732741234123456789LL,
            store::sha256_of(content), {}};
}

inline store::ManifestEntry symlink(std::string path, std::string target)
{
    const auto size = static_cast<long long>(target.size());
    return {std::move(path), store::EntryKind::symlink, 0, size, 0, {}, std::move(target)};
}

}  // namespace envpin::test
