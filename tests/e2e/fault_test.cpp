// I/O faults injected into envpin at the Nth call of write, fsync, rename, link, open and mkdir
// (tests/faults/faults.c, loaded with LD_PRELOAD into envpin alone), N swept across a whole
// snapshot and a whole reset, for ENOSPC and EIO. Whenever the fault fires: envpin fails (exit 3,
// never a crash, never success: a failed fsync is never reported as written) with the errno's
// words in its message; the next writer leaves a store fsck finds clean (no object under its
// name that is not whole, no row or ref to anything missing) and a tree that is exactly one
// snapshot; a retry succeeds.
#include <gtest/gtest.h>

#include <optional>

#include "store/core/digest.hpp"
#include "tests/support/fault_run.hpp"
#include "tests/support/sanitizer.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

// Every file of `tree` a minute older: none is written within the "racy" window of the next
// snapshot (a file that is gets no stat cache row and is read again by the next command, which
// then makes more calls than the counted run, and the last fault points go unreached).
void age(const fs::path& tree)
{
    const auto then = fs::file_time_type::clock::now() - std::chrono::minutes(1);
    for (const auto& entry : fs::recursive_directory_iterator(tree))
        if (entry.is_regular_file() && !entry.is_symlink())
            fs::last_write_time(entry.path(), then);
}

class FaultTest : public StoreTest {
protected:
    void SetUp() override
    {
        ENVPIN_SKIP_UNDER_ASAN("the LD_PRELOAD fault injector would load before ASan's runtime, which must come first");
    }

    // `envpin --store S ARGS` with the injector loaded; `fault` empty: counting only.
    FaultedRun run_faulted(std::vector<std::string> arguments, const std::string& fault,
                           const std::optional<fs::path>& other_store = std::nullopt)
    {
        arguments.insert(arguments.begin(), {"--store", other_store.value_or(store()).string()});
        return test::run_faulted(arguments, fault, dir / "fault.log");
    }

    bool check_fired(const FaultedRun& faulted, const std::string& fault, int error) const
    {
        return test::check_fired(faulted, fault, error, dir.path());
    }

    fs::path venv = dir / "venv";
    int change = 0;
};

TEST_F(FaultTest, SnapshotUnderEveryFaultFailsCleanlyAndARetrySucceeds)
{
    make_venv(venv);
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    write_text(site_packages(venv) / "pkg" / "c0.py", "C = 0\n");
    const auto counted = run_faulted({"snapshot", "train"}, "");
    ASSERT_EQ(counted.run.exit_code, 0) << counted.run.err;
    int fired = 0;
    int failed = 0;
    for (const auto& kind : fault_kinds) {
        for (const auto& [name, error] : fault_errnos) {
            for (const long n : spread(counted.calls.at(kind))) {
                const auto fault = fmt::format("{}:{}:{}", kind, n, name);
                ++change;
                write_text(site_packages(venv) / "pkg" / fmt::format("c{}.py", change), fmt::format("C = {}\n", change));
                const auto faulted = run_faulted({"snapshot", "train"}, fault);
                if (faulted.fired) {
                    ++fired;
                    failed += check_fired(faulted, fault, error) ? 1 : 0;
                } else {
                    EXPECT_EQ(faulted.run.exit_code, 0) << fault << " (not fired): " << faulted.run.err;
                }
                const auto fsck = envpin({"fsck"});
                ASSERT_EQ(fsck.exit_code, 0) << "after " << fault << ": " << fsck.out << fsck.err;
                if (faulted.run.exit_code == 0) {  // a success records the change, whole
                    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0) << "after " << fault;
                }
                ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0) << "the retry after " << fault;
                ASSERT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0) << "after " << fault;
            }
        }
    }
    std::cout << "faults that fired during a snapshot: " << fired << ", of which " << failed << " failed it\n";
    EXPECT_GE(fired, 40);
    EXPECT_GE(failed, 10);
}

TEST_F(FaultTest, ResetUnderEveryFaultLeavesOneSnapshotAndARetrySucceeds)
{
    make_venv(venv);
    pip_install(venv, {"tinypkg==1.0"});
    age(venv);
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    const auto first = picture(venv);
    pip_install(venv, {"tinypkg==2.0"});
    write_text(site_packages(venv) / "added" / "a.py", "A = 1\n");
    age(venv);
    ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);
    const auto second = picture(venv);
    const auto counted = run_faulted({"reset", "train", "train@1", "--force"}, "");
    ASSERT_EQ(counted.run.exit_code, 0) << counted.run.err;
    ASSERT_EQ(envpin({"reset", "train", "train@2", "--force"}).exit_code, 0);
    int fired = 0;
    int failed = 0;
    for (const auto& kind : fault_kinds) {
        for (const auto& [name, error] : fault_errnos) {
            for (const long n : spread(counted.calls.at(kind))) {
                const auto fault = fmt::format("{}:{}:{}", kind, n, name);
                const auto faulted = run_faulted({"reset", "train", "train@1", "--force"}, fault);
                if (faulted.fired) {
                    ++fired;
                    failed += check_fired(faulted, fault, error) ? 1 : 0;
                } else {
                    EXPECT_EQ(faulted.run.exit_code, 0) << fault << " (not fired): " << faulted.run.err;
                }
                const auto fsck = envpin({"fsck"});  // the next writer: takes back or finishes
                ASSERT_EQ(fsck.exit_code, 0) << "after " << fault << ": " << fsck.out << fsck.err;
                const auto now = picture(venv);
                EXPECT_TRUE(now == first || now == second) << "after " << fault << ": neither snapshot";
                ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0) << "the retry after " << fault;
                EXPECT_EQ(picture(venv), first) << "after " << fault;
                ASSERT_EQ(envpin({"reset", "train", "train@2", "--force"}).exit_code, 0);
                EXPECT_EQ(picture(venv), second) << "after " << fault;
            }
        }
    }
    std::cout << "faults that fired during a reset: " << fired << ", of which " << failed << " failed it\n";
    // 40 fire on the development VM; a margin, since a run that makes fewer calls of a kind than
    // the counted one (reads on the reset's other threads) leaves its last point unreached.
    EXPECT_GE(fired, 36);
    EXPECT_GE(failed, 10);
}

// Adopt into a store of its own each time (a refused adopt leaves a store that the next command
// finds consistent), and gc over objects no snapshot uses.
TEST_F(FaultTest, AdoptAndGcUnderEveryFaultFailCleanlyAndARetrySucceeds)
{
    make_venv(venv);
    write_text(site_packages(venv) / "pkg" / "a.py", "A = 1\n");
    const auto counted = run_faulted({"adopt", venv.string(), "--name", "train"}, "", dir / "count-store");
    ASSERT_EQ(counted.run.exit_code, 0) << counted.run.err;
    int fired = 0, failed = 0, round = 0;
    for (const auto& kind : fault_kinds) {
        for (const auto& [name, error] : fault_errnos) {
            for (const long n : spread(counted.calls.at(kind), 3)) {
                const auto fault = fmt::format("{}:{}:{}", kind, n, name);
                const auto other = dir / fmt::format("store-{}", ++round);
                const auto faulted = run_faulted({"adopt", venv.string(), "--name", "train"}, fault, other);
                if (faulted.fired) {
                    ++fired;
                    failed += check_fired(faulted, fault, error) ? 1 : 0;
                }
                auto in_other = [&](std::vector<std::string> arguments) {
                    arguments.insert(arguments.begin(), {"--store", other.string()});
                    return run_envpin(arguments);
                };
                if (faulted.run.exit_code != 0) {
                    const auto retry = in_other({"adopt", venv.string(), "--name", "train"});
                    ASSERT_EQ(retry.exit_code, 0) << "the retry after " << fault << ": " << retry.err;
                }
                const auto fsck = in_other({"fsck"});
                ASSERT_EQ(fsck.exit_code, 0) << "after " << fault << ": " << fsck.out << fsck.err;
                EXPECT_EQ(in_other({"status", "train", "--exit-code"}).exit_code, 0) << "after " << fault;
                fs::remove_all(other);
            }
        }
    }
    std::cout << "faults that fired during an adopt: " << fired << ", of which " << failed << " failed it\n";
    EXPECT_GE(fired, 20);

    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    auto plant = [&](int batch) {
        for (int i = 0; i < 50; ++i) {
            const auto content = fmt::format("unused {} {}\n", batch, i);
            const auto hex = store::sha256_of(content).hex();
            write_text(store() / "objects" / hex.substr(0, 2) / hex.substr(2), content);
        }
    };
    plant(0);
    const auto gc_counted = run_faulted({"gc"}, "");
    ASSERT_EQ(gc_counted.run.exit_code, 0) << gc_counted.run.err;
    int gc_fired = 0;
    for (const auto& kind : {"open", "fsync", "write"}) {
        for (const auto& [name, error] : fault_errnos) {
            for (const long n : spread(gc_counted.calls.at(kind), 3)) {
                plant(++round);
                const auto fault = fmt::format("{}:{}:{}", kind, n, name);
                const auto faulted = run_faulted({"gc"}, fault);
                if (faulted.fired) {
                    ++gc_fired;
                    check_fired(faulted, fault, error);
                }
                const auto fsck = envpin({"fsck"});
                ASSERT_EQ(fsck.exit_code, 0) << "after " << fault << ": " << fsck.out << fsck.err;
                const auto retry = envpin({"gc", "--json"});
                ASSERT_EQ(retry.exit_code, 0) << "the retry after " << fault;
                EXPECT_EQ(envpin({"gc", "--json"}).json()["removed_objects"], 0) << "after " << fault;
            }
        }
    }
    std::cout << "faults that fired during gc: " << gc_fired << "\n";
    EXPECT_GE(gc_fired, 6);
    fs::remove_all(venv);
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
}

}  // namespace
}  // namespace envpin::test
