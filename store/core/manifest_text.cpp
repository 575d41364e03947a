#include "store/core/manifest_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iterator>

namespace envpin::store {
namespace {

bool needs_escape(char c)
{
    const auto byte = static_cast<unsigned char>(c);
    return c == '\\' || byte < 0x20 || byte == 0x7f;
}

void append_escaped_byte(std::string& text, char c)
{
    switch (c) {
    case '\\': text += "\\\\"; break;
    case '\t': text += "\\t"; break;
    case '\n': text += "\\n"; break;
    case '\r': text += "\\r"; break;
    default: fmt::format_to(std::back_inserter(text), "\\x{:02x}", static_cast<unsigned char>(c));
    }
}

void append_mode(std::string& text, unsigned mode)
{
    if (mode > 07777) {  // never valid; printed as it is so that validation can name it
        fmt::format_to(std::back_inserter(text), "{:04o}", mode);
        return;
    }
    const char digits[4] = {static_cast<char>('0' + (mode >> 9 & 7)), static_cast<char>('0' + (mode >> 6 & 7)),
                            static_cast<char>('0' + (mode >> 3 & 7)), static_cast<char>('0' + (mode & 7))};
    text.append(digits, 4);
}

void append_number(std::string& text, long long value)
{
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    text.append(digits, end);
}

}  // namespace

char kind_letter(EntryKind kind)
{
    switch (kind) {
    case EntryKind::directory: return 'd';
    case EntryKind::file: return 'f';
    case EntryKind::symlink: return 'l';
    }
    return '?';
}

void append_escaped(std::string& text, std::string_view field)
{
    // Runs that need no escape (nearly every path) are appended whole.
    while (!field.empty()) {
        const auto special = std::ranges::find_if(field, needs_escape);
        const auto plain = static_cast<size_t>(special - field.begin());
        text.append(field.substr(0, plain));
        if (special == field.end())
            return;
        append_escaped_byte(text, *special);
        field.remove_prefix(plain + 1);
    }
}

// Appends in place, where fmt and escape_field's temporaries made printing a large shard slow.
void print_file_entry(std::string& text, const ManifestEntry& entry)
{
    text += kind_letter(entry.kind);
    text += '\t';
    if (entry.kind != EntryKind::symlink) {
        append_mode(text, entry.mode);
        text += '\t';
    }
    if (entry.kind == EntryKind::file) {
        append_number(text, entry.size);
        text += '\t';
        append_number(text, entry.mtime_ns);
        text += '\t';
        entry.digest.append_hex(text);
        text += '\t';
    }
    append_escaped(text, entry.path);
    if (entry.kind == EntryKind::symlink) {
        text += '\t';
        append_escaped(text, entry.target);
    }
    text += '\n';
}

}  // namespace envpin::store
