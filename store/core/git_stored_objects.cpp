#include "store/core/git_stored_objects.hpp"

#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <memory>
#include <string>

#include "store/core/digest.hpp"
#include "sys/file.hpp"
#include "sys/unique_fd.hpp"

namespace envpin::store {
namespace {

struct StoredObjectWriter {
    git_odb_backend backend;  // first: libgit2 hands this pointer back to the callbacks
    std::string objects_dir;
};

int refuse(const std::string& message)
{
    git_error_set_str(GIT_ERROR_ODB, message.c_str());
    return -1;
}

// The zlib stream of `header` then `data`, in stored (uncompressed) blocks.
bool deflate_stored(std::string_view header, const void* data, size_t size, std::string& out)
{
    z_stream stream{};
    if (deflateInit(&stream, Z_NO_COMPRESSION) != Z_OK)
        return false;
    out.resize(deflateBound(&stream, header.size() + size) + 64);
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(std::min<size_t>(out.size(), UINT_MAX));
    auto feed = [&](const void* bytes, size_t length, bool last) {
        const auto* next = static_cast<const Bytef*>(bytes);
        do {
            const auto piece = static_cast<uInt>(std::min<size_t>(length, UINT_MAX));
            stream.next_in = const_cast<Bytef*>(next);
            stream.avail_in = piece;
            next += piece;
            length -= piece;
            const int flush = last && length == 0 ? Z_FINISH : Z_NO_FLUSH;
            const int code = deflate(&stream, flush);
            if (code == Z_STREAM_ERROR || stream.avail_in != 0)
                return false;
            if (flush == Z_FINISH && code != Z_STREAM_END)
                return false;
        } while (length > 0);
        return true;
    };
    const bool done = feed(header.data(), header.size(), false) && feed(data, size, true);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return done;
}

std::string temporary_suffix()
{
    static std::atomic<unsigned long long> counter{0};
    return fmt::format("{}-{}", ::getpid(), counter.fetch_add(1));
}

// Puts the loose object `hex` (its `header`, then `data`) in place: a tmp file renamed over.
Expected<void> put_loose_object(const std::string& objects_dir, const char* hex, std::string_view header,
                                const void* data, size_t size)
{
    std::string deflated;
    if (!deflate_stored(header, data, size, deflated))
        return fail(ErrorCode::internal, "cannot deflate object {}", hex);
    const auto directory = objects_dir + "/" + std::string(hex, 2);
    if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(ErrorCode::io, "cannot create {}: {}", directory, sys::errno_text(errno));
    const auto final_path = directory + "/" + (hex + 2);
    const auto temporary = directory + "/tmp_obj_" + temporary_suffix();
    {
        sys::UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
        if (!fd)
            return fail(ErrorCode::io, "cannot create {}: {}", temporary, sys::errno_text(errno));
        if (auto written = sys::write_all(fd.get(), deflated, temporary); !written) {
            ::unlink(temporary.c_str());
            return written;
        }
    }
    // Another writer may have put the same object in place meanwhile: same name, same bytes.
    if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        return fail(ErrorCode::io, "cannot put object {} in place: {}", final_path, sys::errno_text(error));
    }
    return {};
}

std::string object_header(std::string_view type, size_t size)
{
    std::string header = fmt::format("{} {}", type, size);
    header.push_back('\0');
    return header;
}

int write_object(git_odb_backend* backend, const git_oid* id, const void* data, size_t size, git_object_t type)
{
    const auto& self = *reinterpret_cast<StoredObjectWriter*>(backend);
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, id);
    if (auto put = put_loose_object(self.objects_dir, hex, object_header(git_object_type2string(type), size), data, size); !put)
        return refuse(put.error().message);
    return 0;
}

void free_writer(git_odb_backend* backend)
{
    delete reinterpret_cast<StoredObjectWriter*>(backend);
}

}  // namespace

Expected<git_oid> write_stored_blob(const std::filesystem::path& objects_dir, std::string_view data)
{
    const auto header = object_header("blob", data.size());
    const auto raw = sha1_of({header, data});
    git_oid id;
    git_oid_fromraw(&id, raw.data());
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &id);
    const auto dir = objects_dir.string();
    // Unchanged shards come back snapshot after snapshot: an object already there is kept.
    if (::access((dir + "/" + std::string(hex, 2) + "/" + (hex + 2)).c_str(), F_OK) == 0)
        return id;
    ENVPIN_TRY(put_loose_object(dir, hex, header, data.data(), data.size()));
    return id;
}

int add_stored_object_writer(git_repository* repository, const std::filesystem::path& objects_dir)
{
    git_odb* odb = nullptr;
    if (const int code = git_repository_odb(&odb, repository); code < 0)
        return code;
    auto writer = std::make_unique<StoredObjectWriter>();
    git_odb_init_backend(&writer->backend, GIT_ODB_BACKEND_VERSION);
    writer->backend.write = write_object;
    writer->backend.free = free_writer;
    writer->objects_dir = objects_dir.string();
    // libgit2's loose and pack backends have priorities 1 and 2; writes go to the highest.
    constexpr int ahead_of_libgit2 = 10;
    const int code = git_odb_add_backend(odb, &writer->backend, ahead_of_libgit2);
    if (code == 0)
        (void)writer.release();  // the object database owns it now and frees it with free_writer
    git_odb_free(odb);
    return code;
}

}  // namespace envpin::store
