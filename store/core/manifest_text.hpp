#pragma once
// The file list's text form, one entry at a time (printing in manifest_text.cpp, parsing in
// manifest.cpp): shared by manifest.cpp (the whole list) and manifest_shards.cpp (its shards).
// Internal to store/.
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "store/core/manifest.hpp"

namespace envpin::store {

inline constexpr std::string_view files_header = "envpin-files 1";

// 'd', 'f' or 'l': an entry's kind as its line (and the state digest) spells it.
[[nodiscard]] char kind_letter(EntryKind kind);

// Appends `field` with backslash, tab, newline, CR and other control bytes escaped (the rule
// of escape_field, which unescape_field reverses).
void append_escaped(std::string& text, std::string_view field);

// The directory that holds `path` ("." for a top-level entry).
[[nodiscard]] std::string_view parent_of(std::string_view path);

// One entry's own rules (validate_entries' list, less order and parents); bad_input naming
// what is wrong.
[[nodiscard]] Expected<void> check_entry(const ManifestEntry& entry);

// Appends the entry's line ("d\t0755\tpath\n", ...).
void print_file_entry(std::string& text, const ManifestEntry& entry);

// The entries of one text form (header included), unvalidated. Bodies over a megabyte parse in
// pieces on up to `threads` cores (0: all), cut at line ends; line numbers stay those of the
// whole text.
[[nodiscard]] Expected<std::vector<ManifestEntry>> parse_file_entries(std::string_view text, unsigned threads);

// Whole entry lines of a text form, and the number of the first in the whole text.
struct EntryPiece {
    std::string_view lines;
    size_t first_line = 2;
};

// The body of a text form (its header checked) cut at line ends into pieces of about
// `piece_bytes`: what parse_entry_piece reads, on as many cores as there are pieces.
[[nodiscard]] Expected<std::vector<EntryPiece>> cut_file_entries(std::string_view text, size_t piece_bytes);
[[nodiscard]] Expected<std::vector<ManifestEntry>> parse_entry_piece(const EntryPiece& piece);
// The pieces' entries in order, or the first piece's error.
[[nodiscard]] Expected<std::vector<ManifestEntry>> join_entry_pieces(std::vector<Expected<std::vector<ManifestEntry>>>& parsed);

}  // namespace envpin::store
