// Several envpin processes at once on one store and two environments: writers (snapshot, reset,
// gc) are serialized by the store lock and all succeed; readers (status, log, diff) never fail
// because a writer is working; gc never removes what a snapshot or a running operation needs.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>

#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

class ConcurrencyTest : public StoreTest {
protected:
    void make_two()
    {
        for (const auto* name : {"a", "b"}) {
            const auto venv = dir / name;
            make_venv(venv);
            write_text(site_packages(venv) / "pkg" / "base.py", "BASE = 1\n");
            ASSERT_EQ(envpin({"adopt", venv.string(), "--name", name}).exit_code, 0);
            write_text(site_packages(venv) / "pkg" / "second.py", "SECOND = 2\n");
            ASSERT_EQ(envpin({"snapshot", name}).exit_code, 0);
        }
    }

    // Runs `body(i)` for i in [0, rounds) on its own thread; each returns the failures it saw.
    static std::future<std::vector<std::string>> loop(int rounds, std::function<std::string(int)> body)
    {
        return std::async(std::launch::async, [rounds, body = std::move(body)] {
            std::vector<std::string> failures;
            for (int i = 0; i < rounds; ++i)
                if (auto failure = body(i); !failure.empty())
                    failures.push_back(std::move(failure));
            return failures;
        });
    }

    std::string expect_ok(const std::vector<std::string>& arguments)
    {
        const auto run = envpin(arguments);
        return run.exit_code == 0 ? std::string() : fmt::format("{}: exit {}: {}", fmt::join(arguments, " "), run.exit_code, run.err);
    }
};

TEST_F(ConcurrencyTest, WritersAreSerializedAndReadersNeverFail)
{
    make_two();
    std::vector<std::future<std::vector<std::string>>> workers;
    for (const std::string name : {"a", "b"}) {
        // A writer per environment: a change snapshotted, then reset back and forth.
        workers.push_back(loop(6, [this, name](int i) {
            write_text(site_packages(dir / name) / "pkg" / fmt::format("w{}.py", i), fmt::format("W = {}\n", i));
            if (auto failure = expect_ok({"snapshot", name}); !failure.empty())
                return failure;
            return expect_ok({"reset", name, i % 2 == 0 ? name + "@1" : name + "@2", "--force", "-q"});
        }));
        // Readers of it.
        workers.push_back(loop(12, [this, name](int) { return expect_ok({"status", name, "--json"}); }));
        workers.push_back(loop(12, [this, name](int) { return expect_ok({"log", name}); }));
    }
    workers.push_back(loop(6, [this](int) { return expect_ok({"gc"}); }));
    workers.push_back(loop(6, [this](int) { return expect_ok({"diff", "a@1", "b@2"}); }));
    for (auto& worker : workers)
        for (const auto& failure : worker.get())
            ADD_FAILURE() << failure;
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    const auto fsck = envpin({"fsck"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
    for (const auto* name : {"a", "b"}) {
        fs::remove_all(dir / name);
        ASSERT_EQ(envpin({"reset", name, fmt::format("{}@2", name), "--force"}).exit_code, 0);
        EXPECT_EQ(read_text(site_packages(dir / name) / "pkg" / "second.py"), "SECOND = 2\n");
        EXPECT_EQ(envpin({"status", name, "--exit-code"}).exit_code, 0);
    }
}

}  // namespace
}  // namespace envpin::test
