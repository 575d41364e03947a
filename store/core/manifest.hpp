#pragma once
// A snapshot's manifest: every directory, regular file and symlink of an environment plus the
// distributions installed in it. It holds all that a restore needs to rebuild the tree
// byte-exact (paths, modes, sizes, sha256, symlink targets, file mtimes), and its text form is
// what manifests.git stores, so stock `git log -p` shows a snapshot's changes line by line.
//
// Text form of the file list (one entry per line, fields separated by one TAB, sorted by path):
//   envpin-files 1
//   d  <mode>  <path>
//   f  <mode>  <size>  <mtime_ns>  <sha256>  <path>
//   l  <path>  <target>
// Paths and targets escape backslash, TAB, LF, CR and other control bytes (\\ \t \n \r \xHH).
// The environment's root directory is the entry ".".
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/marker.hpp"
#include "store/core/digest.hpp"

namespace envpin::store {

enum class EntryKind { directory, file, symlink };

struct ManifestEntry {
    std::string path;  // relative to the environment root, '/'-separated; "." is the root
    EntryKind kind = EntryKind::file;
    unsigned mode = 0;       // permission bits (mode & 07777); 0 for symlinks
    long long size = 0;      // files only
    long long mtime_ns = 0;  // files only: restored so that .pyc files stay valid
    Digest digest;           // files only
    std::string target;      // symlinks only, verbatim (may be absolute: venvs link the base python)

    [[nodiscard]] bool executable() const { return (mode & 0111) != 0; }
    bool operator==(const ManifestEntry&) const = default;
};

// True when a restore of `a` gives the same bytes, mode and target as `b` (mtimes ignored).
[[nodiscard]] bool same_state(const ManifestEntry& a, const ManifestEntry& b);

struct Distribution {
    std::string name;       // as METADATA spells it
    std::string version;
    std::string installer;  // INSTALLER ("pip", "uv"); empty when absent
    std::string url;        // direct_url.json "url"; empty when absent
    std::string dist_info;  // the .dist-info directory, relative to the environment root
    bool operator==(const Distribution&) const = default;
};

// PEP 503 normalized names, as the resolver compares them (resolver/marker.hpp).
using envpin::normalize_name;

struct Manifest {
    std::vector<Distribution> distributions;  // sorted by normalized name, then version
    std::vector<ManifestEntry> entries;       // sorted by path (byte order), unique
    bool operator==(const Manifest&) const = default;
};

// Sorts both lists into the canonical order.
void sort_manifest(Manifest& manifest);
void sort_distributions(std::vector<Distribution>& distributions);

[[nodiscard]] std::string print_files(const std::vector<ManifestEntry>& entries);

// The file list as manifests.git keeps it: in shards by where entries live, each a text form of
// its entries (header included). A snapshot that changes one package rewrites and recompresses
// one shard, and a first snapshot compresses its shards on all cores. A child of a
// lib*/python*/site-packages directory (and all under it) goes to "site-packages-<c>", <c> the
// child name's first letter lower-cased, "0" for a digit, "_" for anything else; every other
// entry (the root, bin/, include/, the site-packages directories themselves) goes to "env".
struct FileShard {
    std::string name;
    std::string text;
    bool operator==(const FileShard&) const = default;
};
[[nodiscard]] std::string file_shard_of(std::string_view path);
// A shard before it is printed: its name and entries (pointers into the manifest).
struct ShardPlan {
    std::string name;
    std::vector<const ManifestEntry*> entries;
};
// No empty shard; the largest first, so that workers writing them in this order finish
// together.
[[nodiscard]] std::vector<ShardPlan> plan_file_shards(const std::vector<ManifestEntry>& entries);
// Entries [begin, end) of the shard (all by default), the header line with begin 0: the pieces
// of a shard, concatenated in order, are the whole shard.
[[nodiscard]] std::string print_file_shard(const ShardPlan& plan, size_t begin = 0, size_t end = SIZE_MAX);
// Planned and printed on all cores; sorted by name.
[[nodiscard]] std::vector<FileShard> print_file_shards(const std::vector<ManifestEntry>& entries);
// The entries of all shards in path order, after validate_entries; bad_input naming the shard
// and line of malformed text, or an entry kept in a shard it does not belong to.
[[nodiscard]] Expected<std::vector<ManifestEntry>> parse_file_shards(const std::vector<FileShard>& shards);
// Where one shard's text differs from the live tree's entries of that shard (`live`, sorted by
// path): the shard's entries that differ, parsed, and every path that differs, of either side
// (sorted). Lines equal to their live entry's print are not parsed. The entries that differ
// are checked as validate_entries would, their parents looked up among them, among the live
// entries the shard holds unchanged, and in `outside` (sorted target entries of other shards:
// "env" holds the site-packages directories).
struct ShardChanges {
    std::vector<ManifestEntry> target;
    std::vector<std::string> paths;
};
[[nodiscard]] Expected<ShardChanges> shard_changes(const FileShard& shard, std::span<const ManifestEntry* const> live,
                                                   const std::vector<ManifestEntry>& outside);
[[nodiscard]] std::string print_distributions(const std::vector<Distribution>& distributions);

// Parse the text forms. bad_input naming the line on malformed text; parse_files also runs
// validate_entries, so what it returns is safe to restore.
[[nodiscard]] Expected<std::vector<ManifestEntry>> parse_files(std::string_view text);
[[nodiscard]] Expected<std::vector<Distribution>> parse_distributions(std::string_view text);

// The invariants a restore relies on; bad_input naming the first offending entry:
// - sorted, unique, the root "." first and a directory;
// - no absolute path, no empty, "." or ".." component;
// - every entry's parent is a directory entry (so no path runs through a symlink or a file);
// - no setuid/setgid/sticky bit on files, no setuid bit on directories; modes within 07777;
// - symlink targets non-empty without NUL; sizes non-negative.
[[nodiscard]] Expected<void> validate_entries(const std::vector<ManifestEntry>& entries);

// Digest of the restorable state (entries without mtimes, plus distributions): two manifests
// with the same state digest describe the same environment.
[[nodiscard]] Digest state_digest(const Manifest& manifest);

// Escaping used for paths and targets in the text forms (exposed for tests and renderers).
[[nodiscard]] std::string escape_field(std::string_view text);
[[nodiscard]] Expected<std::string> unescape_field(std::string_view text);

}  // namespace envpin::store
