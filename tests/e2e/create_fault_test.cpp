// I/O faults injected into `envpin create` (tests/faults/faults.c, loaded into envpin alone: the
// installer runs unfaulted) at the Nth call of write, fsync, rename, link, open and mkdir, N
// spread over a whole create, for ENOSPC and EIO. Whenever the fault fires, create either fails
// cleanly (exit 3, the errno's words and a path) leaving nothing behind (no environment
// directory, no claim, the name unknown to the store) or absorbs it and records the environment
// whole; the store is fsck-clean after each, and a retry of the same create succeeds.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/fault_run.hpp"
#include "tests/support/sanitizer.hpp"
#include "sys/process.hpp"
#include "tests/support/stand_in_stack.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

class CreateFaultTest : public CreateTest {
protected:
    void SetUp() override
    {
        ENVPIN_SKIP_UNDER_ASAN("the LD_PRELOAD fault injector would load before ASan's runtime, which must come first");
        if (!sys::find_on_path("uv"))
            GTEST_SKIP() << "uv is not on PATH";
        CreateTest::SetUp();
        fs::create_directories(dir / "tmp");
    }

    // `envpin create NAME` of the stand-in stack at dir/NAME/venv (its parent made by create too).
    [[nodiscard]] std::vector<std::string> create_arguments(const std::string& name) const
    {
        return {"--store", store().string(), "create", name, "--torch", "2.7.*", "--catalog", catalog.string(),
                "--installer", "uv", "--path", (dir / name / "venv").string(), "--lock",
                (dir / (name + ".lock")).string(), "--index-url", extras_index->url(), "-q"};
    }

    // The scratch directory inside the test's directory, so that every path an error names is.
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> environment() const
    {
        return {{"ENVPIN_DRIVER_VERSION", "570.86.15"}, {"TMPDIR", (dir / "tmp").string()}};
    }

    // Files create leaves beside what it makes while it runs (its claims).
    [[nodiscard]] int claims_left() const
    {
        int claims = 0;
        for (const auto& entry : fs::directory_iterator(dir.path()))
            claims += entry.path().filename().string().starts_with(".envpin-create-") ? 1 : 0;
        return claims;
    }
};

TEST_F(CreateFaultTest, CreateUnderEveryFaultFailsCleanlyOrRecordsItWholeAndARetrySucceeds)
{
    // Counted in a store that exists already, as in every faulted create below.
    ASSERT_EQ(run_envpin(create_arguments("first"), environment(), 300).exit_code, 0);
    const auto counted = run_faulted(create_arguments("counted"), "", dir / "fault.log", environment());
    ASSERT_EQ(counted.run.exit_code, 0) << counted.run.err;
    int fired = 0, failed = 0, round = 0;
    for (const auto& kind : fault_kinds) {
        for (const auto& [errno_name, error] : fault_errnos) {
            for (const long n : spread(counted.calls.at(kind), 3)) {
                const auto fault = fmt::format("{}:{}:{}", kind, n, errno_name);
                const auto name = fmt::format("f{}", ++round);
                const auto faulted = run_faulted(create_arguments(name), fault, dir / "fault.log", environment());
                if (faulted.fired) {
                    ++fired;
                    failed += check_fired(faulted, fault, error, dir.path()) ? 1 : 0;
                } else {
                    EXPECT_EQ(faulted.run.exit_code, 0) << fault << " (not fired): " << faulted.run.err;
                }
                if (faulted.run.exit_code != 0) {  // nothing half-made is left or recorded
                    EXPECT_FALSE(fs::exists(dir / name)) << "after " << fault;
                    EXPECT_EQ(envpin({"log", name}).exit_code, 2) << "after " << fault;
                }
                EXPECT_EQ(claims_left(), 0) << "after " << fault;
                const auto fsck = envpin({"fsck"});
                ASSERT_EQ(fsck.exit_code, 0) << "after " << fault << ": " << fsck.out << fsck.err;
                if (faulted.run.exit_code != 0) {
                    const auto retry = run_envpin(create_arguments(name), environment(), 300);
                    ASSERT_EQ(retry.exit_code, 0) << "the retry after " << fault << ": " << retry.err;
                }
                const auto log = envpin({"log", name, "--json"});
                ASSERT_EQ(log.exit_code, 0) << "after " << fault << ": " << log.err;
                EXPECT_EQ(log.json()["snapshots"].size(), 1u) << "after " << fault;
                EXPECT_EQ(envpin({"status", name, "--exit-code"}).exit_code, 0) << "after " << fault;
                EXPECT_EQ(installed_version(name + "/venv", "torch"), "2.7.1+cu128") << "after " << fault;
            }
        }
    }
    std::cout << "faults that fired during a create: " << fired << ", of which " << failed << " failed it\n";
    EXPECT_GE(fired, 20);
    EXPECT_GE(failed, 10);
}

}  // namespace
}  // namespace envpin::test
