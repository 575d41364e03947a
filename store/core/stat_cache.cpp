#include "store/core/stat_cache.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace envpin::store {
namespace {

void put_varint(std::string& out, std::uint64_t value)
{
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

std::uint64_t zigzag(long long value)
{
    return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

long long unzigzag(std::uint64_t value)
{
    return static_cast<long long>((value >> 1) ^ (~(value & 1) + 1));
}

size_t common_prefix(std::string_view a, std::string_view b)
{
    const auto [end, _] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
    return static_cast<size_t>(end - a.begin());
}

// Reads the packed form front to back; every read checks the bytes left.
class Reader {
public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}

    bool varint(std::uint64_t& value)
    {
        value = 0;
        for (int shift = 0; shift < 64 && pos_ < bytes_.size(); shift += 7) {
            const auto byte = static_cast<unsigned char>(bytes_[pos_++]);
            value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if ((byte & 0x80) == 0)
                return true;
        }
        return false;
    }

    bool bytes(size_t count, std::string_view& out)
    {
        if (bytes_.size() - pos_ < count)
            return false;
        out = bytes_.substr(pos_, count);
        pos_ += count;
        return true;
    }

    [[nodiscard]] bool done() const { return pos_ == bytes_.size(); }

private:
    std::string_view bytes_;
    size_t pos_ = 0;
};

bool read_file(Reader& reader, const std::string& previous, CachedFile& file)
{
    std::uint64_t shared = 0, suffix_size = 0, dev = 0, ino = 0, size = 0, mtime = 0, ctime = 0;
    std::string_view suffix, digest;
    if (!reader.varint(shared) || shared > previous.size() || !reader.varint(suffix_size) ||
        !reader.bytes(suffix_size, suffix) || !reader.varint(dev) || !reader.varint(ino) || !reader.varint(size) ||
        !reader.varint(mtime) || !reader.varint(ctime) || !reader.bytes(file.hash.digest.bytes.size(), digest))
        return false;
    file.path.assign(previous, 0, shared);
    file.path.append(suffix);
    file.hash.stamp = {dev, ino, static_cast<long long>(size), unzigzag(mtime), unzigzag(ctime)};
    std::memcpy(file.hash.digest.bytes.data(), digest.data(), digest.size());
    return true;
}

}  // namespace

void StatCachePacker::add(std::string_view path, const CachedHash& hash)
{
    const size_t shared = common_prefix(previous_, path);
    put_varint(out_, shared);
    put_varint(out_, path.size() - shared);
    out_.append(path.substr(shared));
    put_varint(out_, hash.stamp.dev);
    put_varint(out_, hash.stamp.ino);
    put_varint(out_, static_cast<std::uint64_t>(hash.stamp.size));
    put_varint(out_, zigzag(hash.stamp.mtime_ns));
    put_varint(out_, zigzag(hash.stamp.ctime_ns));
    out_.append(reinterpret_cast<const char*>(hash.digest.bytes.data()), hash.digest.bytes.size());
    previous_.assign(path);
    ++rows_;
}

std::string pack_stat_cache(const StatCache& cache)
{
    StatCachePacker packer(cache.size());
    for (const auto& [path, hash] : cache)
        packer.add(path, hash);
    return packer.take();
}

Expected<StatCache> unpack_stat_cache(std::string_view packed, long long entries)
{
    // Each file takes at least 7 varint bytes and a digest: a count beyond that is a lie.
    if (entries < 0 || static_cast<unsigned long long>(entries) > packed.size() / (7 + Digest{}.bytes.size()))
        return fail(ErrorCode::corrupt, "stat cache: {} entries cannot fit in {} bytes", entries, packed.size());
    StatCache cache(static_cast<size_t>(entries));
    Reader reader(packed);
    static const std::string none;
    for (size_t i = 0; i < cache.size(); ++i) {
        if (!read_file(reader, i == 0 ? none : cache[i - 1].path, cache[i]))
            return fail(ErrorCode::corrupt, "stat cache: entry {} of {} is truncated or malformed", i + 1, entries);
        if (i > 0 && !(cache[i - 1].path < cache[i].path))
            return fail(ErrorCode::corrupt, "stat cache: entry {} is out of path order", i + 1);
    }
    if (!reader.done())
        return fail(ErrorCode::corrupt, "stat cache: bytes left after {} entries", entries);
    return cache;
}

StatCache merge_stat_cache(StatCache base, const StatCache& upserts, const std::vector<std::string>& removed)
{
    StatCache merged;
    merged.reserve(base.size() + upserts.size());
    auto update = upserts.begin();
    auto removal = removed.begin();
    auto take = [&](CachedFile file) {
        while (removal != removed.end() && *removal < file.path)
            ++removal;
        if (removal == removed.end() || *removal != file.path)
            merged.push_back(std::move(file));
    };
    for (auto& file : base) {  // base's rows are moved, not copied
        while (update != upserts.end() && update->path < file.path)
            take(*update++);
        if (update != upserts.end() && update->path == file.path)
            take(*update++);
        else
            take(std::move(file));
    }
    while (update != upserts.end())
        take(*update++);
    return merged;
}

StatCacheDelta diff_stat_cache(const StatCache& before, const StatCache& after)
{
    return diff_rows(before, after.size(), [&after](size_t i) -> RowView { return {{after[i].path, after[i].hash}}; });
}

StatCache add_to_overlay(const StatCache& overlay, const StatCacheDelta& delta)
{
    StatCache changes = delta.upserts;
    for (const auto& path : delta.removed)
        changes.push_back({path, CachedHash{StatStamp{0, 0, removed_row_size, 0, 0}, {}}});
    std::ranges::sort(changes, {}, &CachedFile::path);
    return merge_stat_cache(overlay, changes, {});
}

StatCache apply_overlay(StatCache base, const StatCache& overlay)
{
    StatCache upserts;
    std::vector<std::string> removed;
    for (const auto& row : overlay) {
        if (row.hash.stamp.size == removed_row_size)
            removed.push_back(row.path);
        else
            upserts.push_back(row);
    }
    // merge_stat_cache drops removed paths even among the upserts: none are both here.
    return merge_stat_cache(std::move(base), upserts, removed);
}

}  // namespace envpin::store
