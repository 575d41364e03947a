#include "store/git_stored_objects.hpp"

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

int write_object(git_odb_backend* backend, const git_oid* id, const void* data, size_t size, git_object_t type)
{
    const auto& self = *reinterpret_cast<StoredObjectWriter*>(backend);
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, id);
    std::string header = fmt::format("{} {}", git_object_type2string(type), size);
    header.push_back('\0');
    std::string deflated;
    if (!deflate_stored(header, data, size, deflated))
        return refuse(fmt::format("cannot deflate object {}", hex));
    const auto directory = self.objects_dir + "/" + std::string(hex, 2);
    if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
        return refuse(fmt::format("cannot create {}: {}", directory, sys::errno_text(errno)));
    const auto final_path = directory + "/" + (hex + 2);
    const auto temporary = directory + "/tmp_obj_" + temporary_suffix();
    {
        sys::UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
        if (!fd)
            return refuse(fmt::format("cannot create {}: {}", temporary, sys::errno_text(errno)));
        if (auto written = sys::write_all(fd.get(), deflated, temporary); !written) {
            ::unlink(temporary.c_str());
            return refuse(written.error().message);
        }
    }
    // Another writer may have put the same object in place meanwhile: same name, same bytes.
    if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        return refuse(fmt::format("cannot put object {} in place: {}", hex, sys::errno_text(error)));
    }
    return 0;
}

void free_writer(git_odb_backend* backend)
{
    delete reinterpret_cast<StoredObjectWriter*>(backend);
}

}  // namespace

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
