// verify_built (store/lifecycle/tree_verify.hpp): the bytes of a built tree, checked.
#include "store/lifecycle/tree_verify.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/trace.hpp"
#include "store/core/parallel.hpp"
#include "sys/file.hpp"
#include "sys/unique_fd.hpp"

namespace envpin::store {
namespace {

using sys::errno_text;

// What verifying one built file found.
struct FileCheck {
    bool hashed = false;
    std::optional<Digest> differs;     // the digest it has, when not the manifest's
    std::optional<StatStamp> verified;  // the object's stamp to record, when its bytes are known good
};

// The stamps an object may have had, before a file was placed from it, with its bytes still the
// verified ones: its verified stamp, and the stamp this build's own link of it gave it (the
// linked file is the object's inode, which had the verified stamp just before the link; the
// link moved its ctime, and its mtime when the entry's differs). A copy made after that link
// reads the same bytes. The window is the one the linked file itself is trusted across.
struct KnownGood {
    const VerifiedStamps& verified;
    std::unordered_map<std::string, StatStamp> after_own_link;
    // Whether a linked file's object gets its new stamp recorded: not with link_then_copy, where
    // the background copy gives it a new inode and records that one's.
    bool restamp_linked = true;

    [[nodiscard]] bool holds(const std::string& object, const StatStamp& before) const
    {
        const auto known = verified.find(object);
        if (known == verified.end())
            return false;
        if (known->second == before)
            return true;
        const auto linked = after_own_link.find(object);
        return linked != after_own_link.end() && linked->second == before;
    }
};

KnownGood known_good(const std::vector<BuiltFile>& files, const VerifiedStamps& verified, LinkMode mode)
{
    KnownGood good{verified, {}, mode != LinkMode::link_then_copy};
    std::unordered_set<ObjectKey, ObjectKeyHash> copied;  // objects some file was copied from
    for (const auto& file : files)
        if (!file.linked)
            copied.insert(file.key());
    for (const auto& file : files) {
        if (!file.linked || !copied.contains(file.key()))
            continue;
        const auto name = file.key().name();
        const auto known = verified.find(name);
        auto after = file.stamp;
        after.dev = 0;
        auto expected = known == verified.end() ? StatStamp{} : known->second;
        expected.ctime_ns = after.ctime_ns;
        expected.mtime_ns = after.mtime_ns;
        if (known != verified.end() && known->second == file.object_before && after == expected)
            good.after_own_link.emplace(name, after);
    }
    return good;
}

// A file whose object still had a known-good stamp (above) is known good without reading it;
// else it is hashed. The object's stamp to record: a linked file is the object (its stamp,
// unchanged while it was hashed); a copy leaves the object as it was (its stamp before the
// build, if unchanged).
Expected<FileCheck> check_built(const BuiltFile& file, const ObjectStore& objects, const KnownGood& good)
{
    const auto key = file.key();
    FileCheck check;
    if (good.holds(key.name(), file.object_before)) {
        if (file.linked && good.restamp_linked)
            check.verified = ENVPIN_TRY(objects.stamp(key));
        return check;
    }
    thread_local Sha256 hasher;
    thread_local std::vector<char> buffer(1 << 20);
    sys::UniqueFd fd(::open(file.built.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return fail(ErrorCode::io, "cannot open {} to verify it: {}", file.built.string(), errno_text(errno));
    const auto before = ENVPIN_TRY(objects.stamp(key));
    const auto actual = ENVPIN_TRY(sha256_fd(fd.get(), hasher, buffer, file.built.string(), file.size));
    check.hashed = true;
    if (actual != file.digest) {
        check.differs = actual;
        return check;
    }
    const auto after = ENVPIN_TRY(objects.stamp(key));
    if (after && before == after && (file.linked || *after == file.object_before))
        check.verified = after;
    return check;
}

}  // namespace

// Verifies every file built, the largest first so that the longest hash starts at once. Files
// whose bytes differ are collected (not the first only: the user learns every damaged object
// from one run).
Expected<void> verify_built(TreeBuild& built, const ObjectStore& objects, const BuildOptions& options,
                            const VerifiedStamps& verified)
{
    const auto& files = built.built_files;
    std::vector<std::pair<long long, size_t>> largest_first;  // (size, index): no file is moved
    largest_first.reserve(files.size());
    for (size_t i = 0; i < files.size(); ++i)
        largest_first.emplace_back(files[i].size, i);
    std::ranges::sort(largest_first, std::greater<>());
    const auto good = known_good(files, verified, options.mode);
    std::vector<FileCheck> checks(files.size());
    ENVPIN_TRY(traced("check files", [&] {
        return parallel_for(files.size(), options.threads, [&](size_t k, unsigned) -> Expected<void> {
            const size_t i = largest_first[k].second;
            checks[i] = ENVPIN_TRY(check_built(files[i], objects, good));
            return {};
        });
    }));
    std::vector<std::pair<const BuiltFile*, Digest>> differing;
    for (size_t i = 0; i < files.size(); ++i) {
        (checks[i].hashed ? built.files_hashed : built.files_trusted) += 1;
        if (checks[i].differs)
            differing.emplace_back(&files[i], *checks[i].differs);
        else if (checks[i].verified)
            built.verified_objects.emplace_back(files[i].key().name(), *checks[i].verified);
    }
    trace_note(fmt::format("verify bytes: {} files hashed, {} known good by their object's stamp", built.files_hashed,
                           built.files_trusted));
    if (differing.empty())
        return {};
    std::ranges::sort(differing, {}, [](const auto& item) { return item.first->path; });
    if (options.damaged != nullptr)
        for (const auto& [file, actual] : differing)
            options.damaged->push_back(file->key());
    std::string named;
    for (size_t i = 0; i < differing.size() && i < 5; ++i) {
        const auto& [file, actual] = differing[i];
        named += fmt::format("{}{} (object {}, which hashes to {})", i == 0 ? "" : "; ", file->path,
                             file->digest.hex().substr(0, 16), actual.hex().substr(0, 16));
    }
    if (differing.size() > 5)
        named += fmt::format("; and {} more", differing.size() - 5);
    return fail(ErrorCode::corrupt, "{} stored object(s) no longer hold the bytes the snapshot names: {}",
                differing.size(), named);
}

}  // namespace envpin::store
