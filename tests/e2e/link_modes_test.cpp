// The default link mode on the filesystems it meets: reflink where the filesystem clones (a
// loop-mounted XFS image, where this machine allows mounting one), plain copies when the store
// and the environment are on different filesystems (the store on tmpfs).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "sys/process.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

// An XFS image with reflinks, loop-mounted for the test's lifetime; `reason` says why not.
class XfsMount {
public:
    explicit XfsMount(const fs::path& dir) : mount_point_(dir / "xfs")
    {
        if (::geteuid() != 0) {
            reason_ = "mounting a loop image needs root";
            return;
        }
        const auto image = dir / "xfs.img";
        { std::ofstream(image).close(); }
        fs::resize_file(image, 320ull << 20);
        const auto made = sys::run_process({{"mkfs.xfs", "-q", "-m", "reflink=1", image.string()}});
        if (!made || !made->success()) {
            reason_ = "mkfs.xfs is not available or failed: " + (made ? made->err : made.error().describe());
            return;
        }
        fs::create_directories(mount_point_);
        const auto mounted = sys::run_process({{"mount", "-o", "loop", image.string(), mount_point_.string()}});
        if (!mounted || !mounted->success()) {
            reason_ = "this machine does not allow a loop mount: " + (mounted ? mounted->err : mounted.error().describe());
            return;
        }
        mounted_ = true;
    }
    ~XfsMount()
    {
        if (mounted_)
            (void)sys::run_process({{"umount", "-l", mount_point_.string()}});
    }
    [[nodiscard]] bool mounted() const { return mounted_; }
    [[nodiscard]] const std::string& reason() const { return reason_; }
    [[nodiscard]] const fs::path& path() const { return mount_point_; }

private:
    fs::path mount_point_;
    bool mounted_ = false;
    std::string reason_;
};

// adopt, a write in place, a reset, a deleted environment back: the same promise on any pair of
// filesystems.
void exercise(const fs::path& store, const fs::path& venv, const std::string& expected_mode)
{
    make_venv(venv);
    pip_install(venv, {"tinypkg==1.0"});
    const auto original = picture(venv);
    auto run = [&](std::vector<std::string> arguments) {
        arguments.insert(arguments.begin(), {"--store", store.string()});
        return run_envpin(arguments);
    };
    const auto adopted = run({"adopt", venv.string(), "--name", "train", "--json"});
    ASSERT_EQ(adopted.exit_code, 0) << adopted.err;
    EXPECT_EQ(adopted.json()["link_mode"], expected_mode);
    ASSERT_EQ(run({"recover"}).exit_code, 0);
    EXPECT_EQ(shared_objects(store), 0);  // independent from the start: nothing to detach
    const auto module = site_packages(venv) / "tinypkg" / "__init__.py";
    std::ofstream(module, std::ios::app) << "# written in place\n";
    EXPECT_EQ(run({"fsck"}).exit_code, 0);
    ASSERT_EQ(run({"reset", "train", "train@1", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), original);
    EXPECT_EQ(shared_objects(store), 0);
    fs::remove_all(venv);
    ASSERT_EQ(run({"reset", "train", "train@1", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), original);
    EXPECT_EQ(run({"status", "train", "--exit-code"}).exit_code, 0);
}

TEST(LinkModes, ReflinksOnAFilesystemThatClones)
{
    TempDir dir;
    XfsMount xfs(dir.path());
    if (!xfs.mounted())
        GTEST_SKIP() << xfs.reason();
    exercise(xfs.path() / "store", xfs.path() / "venv", "reflink");
}

TEST(LinkModes, CopiesAcrossFilesystems)
{
    TempDir dir;
    const fs::path shm = "/dev/shm";
    struct ::stat here{}, there{};
    if (::stat(dir.path().c_str(), &here) != 0 || ::stat(shm.c_str(), &there) != 0 || here.st_dev == there.st_dev)
        GTEST_SKIP() << "no second filesystem at /dev/shm beside " << dir.path();
    const auto store = shm / fs::path(dir.path()).filename();
    struct Cleanup {
        fs::path path;
        ~Cleanup() { std::error_code ec; fs::remove_all(path, ec); }
    } cleanup{store};
    exercise(store, dir / "venv", "copy");
}

// A sparse file (a 256 MiB hole with a few bytes of data) stays sparse in the store and when
// restored, in every mode that writes bytes: copied at adopt, copied by the background detach,
// copied back by reset, and copied across filesystems.
long long allocated_bytes(const fs::path& path)
{
    struct ::stat info{};
    EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
    return static_cast<long long>(info.st_blocks) * 512;
}

void expect_sparse_kept(const fs::path& store, const fs::path& venv, const std::string& link_mode)
{
    make_venv(venv);
    const auto sparse = site_packages(venv) / "weights.bin";
    {
        std::ofstream file(sparse, std::ios::binary);
        file.seekp(128 << 20);
        file << "the only data";
        file.seekp((256 << 20) - 1);
        file.put('\0');
    }
    fs::resize_file(sparse, 256 << 20);
    ASSERT_LT(allocated_bytes(sparse), 1 << 20);
    auto run = [&](std::vector<std::string> arguments) {
        arguments.insert(arguments.begin(), {"--store", store.string()});
        return run_envpin(arguments, {{"ENVPIN_COPY_BELOW", "0"}});
    };
    ASSERT_EQ(run({"adopt", venv.string(), "--name", "train", "--link-mode", link_mode}).exit_code, 0);
    ASSERT_EQ(run({"recover"}).exit_code, 0);
    fs::path object;
    for (const auto& entry : fs::recursive_directory_iterator(store / "objects"))
        if (entry.is_regular_file() && entry.file_size() == (256u << 20))
            object = entry.path();
    ASSERT_FALSE(object.empty());
    EXPECT_LT(allocated_bytes(object), 8 << 20) << link_mode << ": the stored object lost its hole";
    fs::remove(sparse);
    ASSERT_EQ(run({"reset", "train", "train@1", "--force"}).exit_code, 0);
    ASSERT_EQ(run({"recover"}).exit_code, 0);
    EXPECT_EQ(fs::file_size(sparse), 256u << 20);
    EXPECT_LT(allocated_bytes(sparse), 8 << 20) << link_mode << ": the restored file lost its hole";
    EXPECT_EQ(run({"status", "train", "--exit-code"}).exit_code, 0);
}

TEST(LinkModes, SparseFilesStaySparseCopiedAndDetached)
{
    TempDir dir;
    expect_sparse_kept(dir / "store-copy", dir / "venv-copy", "copy");
    expect_sparse_kept(dir / "store-auto", dir / "venv-auto", "auto");
}

}  // namespace
}  // namespace envpin::test
