#include "store/file_hashing.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "sys/file.hpp"

namespace envpin::store {

using sys::UniqueFd;

Error changed(const std::string& path)
{
    return Error{ErrorCode::io, fmt::format("{} changed while it was being recorded; run the command again", path), {}};
}

bool racy(const StatStamp& stamp, long long started_ns)
{
    const long long window = stamp.mtime_ns % 1'000'000'000 == 0 ? 2'000'000'000LL : 50'000'000LL;
    return stamp.mtime_ns >= started_ns - window;
}

bool same_content_stamp(const StatStamp& a, const StatStamp& b)
{
    return a.dev == b.dev && a.ino == b.ino && a.size == b.size && a.mtime_ns == b.mtime_ns;
}

void take_linked_stamp(FileSlot slot, const StatStamp& linked)
{
    if (same_content_stamp(linked, slot.stamp))
        slot.stamp = linked;
    else
        slot.hashed = 0;
}

Expected<UniqueFd> HashRun::open_file(FileSlot slot, struct ::stat& info)
{
    auto& entry = slot.entry;
    // O_NOATIME: reading must not dirty every inode (relatime updates atime once a file's
    // ctime passes it, which the hardlink into the store does). Only the owner may ask.
    constexpr int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd fd(::openat(root_fd, entry.path.c_str(), flags | O_NOATIME));
    if (!fd && errno == EPERM)
        fd.reset(::openat(root_fd, entry.path.c_str(), flags));
    if (!fd && (errno == ENOENT || errno == ELOOP))
        return std::unexpected(changed(entry.path));
    if (!fd || ::fstat(fd.get(), &info) != 0)
        return fail(ErrorCode::io, "cannot open {}: {}", entry.path, sys::errno_text(errno));
    if (!S_ISREG(info.st_mode))
        return std::unexpected(changed(entry.path));
    entry.size = info.st_size;  // what is read is what is recorded
    entry.mode = info.st_mode & 07777;
    entry.mtime_ns = stamp_of(info).mtime_ns;
    slot.stamp = stamp_of(info);
    return fd;
}

Expected<void> HashRun::hash(FileSlot slot, unsigned worker, bool stage_now)
{
    auto& entry = slot.entry;
    auto& mine = *scratch[worker];
    struct ::stat info{};
    const long long opening = trace_clock();
    auto fd = ENVPIN_TRY(open_file(slot, info));
    if (info.st_size > static_cast<off_t>(buffer_size))
        ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    const long long reading = trace_clock();
    entry.digest = ENVPIN_TRY(sha256_fd(fd.get(), mine.hasher, mine.span(), entry.path, info.st_size));
    struct ::stat after{};
    // Content changes move mtime or size. ctime alone also moves when another link to the
    // inode is made or removed (the store's own link, a reset's old tree being removed), so
    // it does not make the bytes just hashed untrustworthy.
    if (::fstat(fd.get(), &after) != 0 || !same_content_stamp(stamp_of(after), stamp_of(info)))
        return std::unexpected(changed(entry.path));
    const long long staging = trace_clock();
    if (tracing() && info.st_size >= (256LL << 20))
        trace_note(fmt::format("hashed {} ({} MB) in {} ms", entry.path, info.st_size >> 20, (staging - reading) / 1'000'000));
    slot.hashed = 1;
    files_done.fetch_add(1, std::memory_order_relaxed);
    bytes_done.fetch_add(info.st_size, std::memory_order_relaxed);
    if (options.ingest != nullptr && stage_now)
        ENVPIN_TRY(stage(slot, fd.get(), worker));
    const long long closing = trace_clock();
    fd.reset();
    if (tracing()) {
        open_ns += reading - opening;
        read_ns += staging - reading;
        stage_ns += closing - staging;
        finished_ns[worker] = trace_clock();
        close_ns += finished_ns[worker] - closing;
    }
    return {};
}

Expected<void> HashRun::stage_hashed(size_t index, unsigned worker)
{
    const StatStamp hashed_as = observation.stamps[index];
    struct ::stat info{};
    auto fd = ENVPIN_TRY(open_file(slot(index), info));
    if (!same_content_stamp(observation.stamps[index], hashed_as))
        return std::unexpected(changed(observation.manifest.entries[index].path));
    return stage(slot(index), fd.get(), worker);
}

Expected<void> HashRun::stage(FileSlot slot, int fd, unsigned worker)
{
    const auto& entry = slot.entry;
    const ObjectKey key{entry.digest, entry.executable()};
    if (!claim(key))
        return {};  // another file with these bytes is already on its way in
    // A copy or clone is skipped when the object exists; a hardlink just meets EEXIST at
    // publish, which costs less than asking first.
    if (options.mode != LinkMode::hardlink && options.ingest->contains(key))
        return {};
    const auto& stamp = slot.stamp;
    if (options.mode == LinkMode::hardlink && options.synced_at_ns != 0 && !racy(stamp, options.synced_at_ns)) {
        if (auto linked = ENVPIN_TRY(options.ingest->link_durable(fd, entry.path, key, stamp))) {
            if (linked->linked.ino != 0)  // zero: the object existed, no link was made
                take_linked_stamp(slot, linked->linked);
            staged_by_worker[worker].push_back(std::move(*linked));
            return {};
        }
    }
    staged_by_worker[worker].push_back(
        ENVPIN_TRY(options.ingest->stage(fd, entry.path, key, stamp, options.mode, scratch[worker]->span())));
    return {};
}

// Hands `todo` to `pool` (largest first) and waits for it to drain, the walk's early files
// included.
Expected<void> hash_all(HashRun& run, JobPool& pool, const std::vector<size_t>& todo, long long files_total,
                        long long bytes_total)
{
    run.prepare(pool.workers());
    const long long began = HashRun::trace_clock();
    std::vector<JobPool::Sized> jobs;
    jobs.reserve(todo.size());
    for (const size_t index : todo)
        jobs.push_back({run.observation.manifest.entries[index].size,
                        [&run, index](unsigned worker) { return run.hash(run.slot(index), worker, true); }});
    pool.add_all(std::move(jobs));
    auto tick = [&] {
        if (run.options.progress)
            run.options.progress({"hashing", run.files_done.load(), files_total, run.bytes_done.load(), bytes_total});
    };
    auto done = pool.finish(tick);
    if (tracing()) {
        trace_note(fmt::format("{} files on {} workers: open {:.2f} s, read and hash {:.2f} s, stage {:.2f} s, close {:.2f} s of CPU",
                               run.files_done.load(), pool.workers(), run.open_ns / 1e9, run.read_ns / 1e9,
                               run.stage_ns / 1e9, run.close_ns / 1e9));
        std::erase(run.finished_ns, 0);
        if (!run.finished_ns.empty()) {
            const auto [first, last] = std::ranges::minmax(run.finished_ns);
            trace_note(fmt::format("workers ran out of files {:.1f} to {:.1f} ms after the files were handed over",
                                   (first - began) / 1e6, (last - began) / 1e6));
        }
    }
    return done;
}

}  // namespace envpin::store
