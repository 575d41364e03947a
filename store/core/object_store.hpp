#pragma once
// objects/: file contents keyed by sha256, executables apart from the rest
// (objects/ab/cdef... and objects/ab/cdef....x), so that a restore that links an object gets the
// right exec bit. An object enters in two steps so that a crash never leaves a final name over
// content that is not on disk: stage() (a tmp/ file, or nothing for a link), then
// publish(): syncfs -> link into place with no-replace ("already exists" is success) -> syncfs.
// A link to a file whose bytes were on disk before a syncfs can go in place at once
// (link_durable); publish() then only adds the last syncfs.
//
// Link modes and what they cost the environment (store/core/link_mode.hpp):
// - copy and reflink make an independent inode, read-only (0444 / 0555): writes into the
//   environment can never reach it;
// - link_then_copy (the default where the filesystem cannot clone) links now and has the
//   background detach (store/lifecycle/detach.hpp) copy each linked object to a fresh inode and
//   rename it over the object (copy_shared, replace_shared): after that, no write into the
//   environment reaches the store; a write in place inside the window is found by the copy's
//   hash and reported, never kept as the snapshot's bytes;
// - hardlink (opt-in) keeps the object *being* the environment's file. Installers replace files
//   by rename, which leaves the object intact; a write *in place* into that file changes the
//   object too. fsck re-hashes every object and names such damage and the snapshots it touches.
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/core/digest.hpp"
#include "store/core/link_mode.hpp"
#include "store/core/manifest.hpp"
#include "store/core/records.hpp"
#include "sys/unique_fd.hpp"

namespace envpin::store {

// The directory in tmp/ where the background detach stages its copies (clear_tmp leaves it).
inline constexpr std::string_view detach_staging = "detach";

struct ObjectKey {
    Digest digest;
    bool executable = false;

    // "ab/cdef...", with ".x" appended for executables: the path below objects/.
    [[nodiscard]] std::string name() const;
    // name() as one file name ("ab-cdef..."), for a copy of the object in a staging directory.
    [[nodiscard]] std::string staging_name() const;
    // Inverse of name(); nullopt for anything else (a stray file in objects/).
    [[nodiscard]] static std::optional<ObjectKey> from_name(std::string_view shard, std::string_view file);
    auto operator<=>(const ObjectKey&) const = default;
};

struct ObjectKeyHash {
    size_t operator()(const ObjectKey& key) const noexcept { return DigestHash{}(key.digest) ^ key.executable; }
};

// An object waiting for publish().
struct StagedObject {
    ObjectKey key;
    // hardlink: to be linked by publish(); linked: already in place (link_durable); temporary:
    // a file in tmp/ to be renamed into place by publish().
    enum class Method { hardlink, linked, temporary } method = Method::temporary;
    std::string source;  // hardlink, linked: path relative to the environment root; temporary: name in tmp/
    StatStamp stamp;     // hardlink: the stamp the file had when it was hashed
    StatStamp linked;    // hardlink, after publish(): the inode's stamp once linked (its ctime
                         // moved); all zero when the object already existed
    bool published = false;  // after publish(): this object is new in the store
    // The object existed already and shares its inode with another name (the environment's
    // file, linked by a killed snapshot that never recorded it, or another environment's): the
    // detach must copy it all the same.
    bool existed_shared = false;
};

class ObjectStore {
public:
    [[nodiscard]] static Expected<ObjectStore> open(const std::filesystem::path& objects_dir,
                                                    const std::filesystem::path& tmp_dir);

    [[nodiscard]] std::filesystem::path path(const ObjectKey& key) const { return objects_dir_ / key.name(); }
    [[nodiscard]] bool contains(const ObjectKey& key) const;

    // Decides what `automatic` means for files under `root` (opened as `root_fd`): reflink when
    // the filesystem clones, else hardlink on the same filesystem, else copy. An explicit mode
    // the filesystem cannot do is bad_input naming the mode.
    [[nodiscard]] Expected<LinkMode> effective_mode(int root_fd, const std::filesystem::path& root, LinkMode requested) const;

    // Stages `source_fd` (a regular file hashed to key.digest with `stamp`; `relative_path` under
    // the environment root) per `mode`, which must be effective. A copy re-reads and re-checks the
    // digest, a clone or link re-checks the stamp: a file that changed is io naming it.
    [[nodiscard]] Expected<StagedObject> stage(int source_fd, const std::string& relative_path, const ObjectKey& key,
                                               const StatStamp& stamp, LinkMode mode, std::span<char> buffer);

    // Links `source_fd` (hashed to key.digest with `stamp`) into place at once, for a file whose
    // bytes were already on disk when hashing began (the caller synced the filesystem first and
    // checked the mtime), so the first barrier of publish() has nothing to add. Linking through
    // /proc/self/fd links exactly the inode that was hashed. nullopt when the filesystem refuses
    // the link (the caller stages a copy instead).
    [[nodiscard]] Expected<std::optional<StagedObject>> link_durable(int source_fd, const std::string& relative_path,
                                                                     const ObjectKey& key, const StatStamp& stamp) const;

    // syncfs(2) of the store's filesystem.
    [[nodiscard]] Expected<void> sync() const;

    // Makes staged objects durable and visible (see the top of this file). `root_fd` resolves
    // hardlink sources. Uses `threads` workers for the links.
    [[nodiscard]] Expected<void> publish(int root_fd, std::vector<StagedObject>& staged, unsigned threads);
    // Removes the tmp/ files of staged objects that will not be published.
    void discard(const std::vector<StagedObject>& staged) const;

    // Creates `name` in `dir_fd` holding the entry's bytes, mode and mtime from its object, for
    // restores (see Placed). `mode` is effective:
    // - hardlink links the object when it already has the entry's mode, else copies;
    // - link_then_copy links it when nothing else shares its inode and `may_link` (the caller's
    //   claim that no other file of this restore links it), setting the entry's mode and mtime on
    //   the shared inode (the detach copies them along), else copies;
    // - reflink clones; automatic and copy clone where the filesystems can, else copy bytes
    //   (read and write when the store and the target are on different filesystems).
    // Copies start their writeback; the caller syncs the filesystem before anything relies on
    // them. An object shared with an environment file is checked first (size
    // and mtime, else re-hashed): corrupt naming it when it no longer holds the entry's bytes.
    // `own_links`: links to the object that this restore made itself (into its staging, where
    // nothing writes), which are not sharing that needs the check. The name must not exist yet.
    struct Placed {
        StatStamp stamp;      // the new file's, once its mode and mtime are set
        bool linked = false;  // it is the object's inode
        StatStamp object_before;  // the object's, before anything was placed from it
    };
    [[nodiscard]] Expected<Placed> place(const ManifestEntry& entry, int dir_fd, const std::string& name, LinkMode mode,
                                         bool may_link, unsigned own_links = 0) const;

    // The background detach of link_then_copy. copy_shared copies object `key`, when its inode is
    // shared with another name (nlink > 1), into a new file `name` in `staging_fd`, with the
    // inode's mode and mtime, and hashes the copy: `intact` says whether it holds the object's
    // bytes (false: a file that shared the inode was written in place). nullopt when the
    // object is absent or not shared.
    struct SharedCopy {
        ObjectKey key;
        std::string name;  // in the staging directory
        unsigned long long dev = 0, ino = 0;  // the object's inode, copied from
        long long size = 0;
        bool intact = false;
    };
    [[nodiscard]] Expected<std::optional<SharedCopy>> copy_shared(const ObjectKey& key, int staging_fd,
                                                                  const std::string& name, Sha256& hasher,
                                                                  std::span<char> buffer) const;
    // Renames an intact copy over its object when the object is still the inode it was copied
    // from and still shared; else drops the copy. True when it replaced the object. The caller
    // holds the store lock and syncs the copies before and the store after.
    [[nodiscard]] Expected<bool> replace_shared(const SharedCopy& copy, int staging_fd) const;
    // Removes the object's name when it is still the inode `copy` was taken from (its bytes are
    // not the object's any more). True when it removed it.
    [[nodiscard]] Expected<bool> remove_if_inode(const SharedCopy& copy) const;
    // fsck --repair: copies `source_fd` (any file that may hold the object's bytes) into a new
    // file in `staging_fd`, hashes the copy, and when it holds the object's bytes, seals it
    // read-only and renames it into place over whatever stands there (a damaged object). True
    // when the object was restored; the caller syncs.
    [[nodiscard]] Expected<bool> restore_from(const ObjectKey& key, int source_fd, int staging_fd, Sha256& hasher,
                                              std::span<char> buffer) const;

    // The object's stamp as it is now (dev left 0, as the verified stamps keep it); nullopt when
    // it is absent.
    [[nodiscard]] Expected<std::optional<StatStamp>> stamp(const ObjectKey& key) const;

    // Re-reads the object and returns its actual digest (fsck, and restores that distrust it).
    [[nodiscard]] Expected<Digest> rehash(const ObjectKey& key, Sha256& hasher, std::span<char> buffer) const;

    // Every object with its size and mode bits; names that are not objects go to `strays`.
    struct Listed {
        ObjectKey key;
        long long size = 0;
        unsigned mode = 0;
        unsigned long long links = 1;  // st_nlink: more than 1 while an environment file shares it
    };
    [[nodiscard]] Expected<std::vector<Listed>> list(std::vector<std::string>* strays = nullptr) const;
    [[nodiscard]] Expected<void> remove(const ObjectKey& key) const;
    [[nodiscard]] Expected<void> remove_stray(const std::string& name) const;
    // Removes leftovers of interrupted runs from tmp/ (callers hold the store lock), except the
    // detach's own directory, which the detach clears under its own lock; returns how many.
    [[nodiscard]] Expected<size_t> clear_tmp() const;
    // tmp/<name>/, created when absent, for a process that stages files outside the store
    // lock (the detach); the caller removes what it leaves there.
    [[nodiscard]] Expected<sys::UniqueFd> open_staging(std::string_view name) const;
    // Removes the files a killed run left in a staging directory (the caller holds its lock).
    [[nodiscard]] Expected<void> clear_staging(int staging_fd) const;

private:
    ObjectStore(std::filesystem::path objects_dir, sys::UniqueFd objects_fd, sys::UniqueFd tmp_fd)
        : objects_dir_(std::move(objects_dir)), objects_fd_(std::move(objects_fd)), tmp_fd_(std::move(tmp_fd))
    {
    }
    [[nodiscard]] Expected<void> publish_one(int root_fd, StagedObject& staged) const;

    std::filesystem::path objects_dir_;
    sys::UniqueFd objects_fd_;
    sys::UniqueFd tmp_fd_;
};

// Stamp of a stat(2) result.
[[nodiscard]] StatStamp stamp_of(const struct ::stat& info);

}  // namespace envpin::store
