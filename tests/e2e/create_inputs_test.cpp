// envpin create's inputs: an environment without a torch stack from the example wheelhouse,
// offline, with both installers; bad inputs exit 2 naming the input and change nothing.
#include <gtest/gtest.h>

#include "resolver/lock.hpp"
#include "sys/process.hpp"
#include "tests/support/stand_in_stack.hpp"

namespace envpin::test {
namespace {

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

class CreateWithoutTorch : public CreateTest, public ::testing::WithParamInterface<std::string> {
protected:
    void SetUp() override
    {
        if (GetParam() == "uv" && !sys::find_on_path("uv"))
            GTEST_SKIP() << "uv is not on PATH";
        CreateTest::SetUp();
    }
};

TEST_P(CreateWithoutTorch, OfflineFromTheExampleWheelhouseAndVerified)
{
    const auto run = create({"demo", "--torch", "none", "--with", "tinyops==1.0.0", "--find-links",
                             example_wheelhouse().string(), "--offline", "--installer", GetParam(), "--path",
                             (dir / "demo").string(), "--verify", "--json"});
    ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
    const auto json = run.json();
    EXPECT_TRUE(json["stack"].is_null());
    EXPECT_TRUE(json["lock"].is_null());
    EXPECT_EQ(json["snapshot"]["reason"], "create");
    ASSERT_EQ(json["installed"].size(), 1u);
    EXPECT_EQ(json["installed"][0]["name"], "tinyops");
    EXPECT_EQ(json["installed"][0]["sha256"].get<std::string>().size(), 64u);
    EXPECT_EQ(json["verify"]["status"], "pass") << json["verify"].dump(2);
    EXPECT_EQ(installed_version("demo", "tinyops"), "1.0.0");
    const auto log = envpin({"log", "demo", "--json"}).json()["snapshots"];
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0]["verified"], "pass");
}

// At a terminal, the installer's own account of the install (what it resolved and installed,
// with its progress; pip's, which it writes on stdout, too) reaches the user's stderr; without
// one, it stays quiet.
TEST_P(CreateWithoutTorch, AtATerminalTheInstallersOwnProgressIsShown)
{
    if (!sys::find_on_path("script"))
        GTEST_SKIP() << "needs script (util-linux) on PATH";
    const auto command = [&](const std::string& name) {
        return std::vector<std::string>{ENVPIN_BIN,    "--store",   store().string(), "create",   name,
                                        "--torch",     "none",      "--with",         "tinyops==1.0.0",
                                        "--find-links", example_wheelhouse().string(), "--offline", "--installer",
                                        GetParam(),    "--path",    (dir / name).string()};
    };
    // What each installer says once it has installed (uv with colors).
    const std::string installed = GetParam() == "uv" ? "Installed" : "Successfully installed tinyops";
    std::string line;
    for (const auto& word : command("shown"))
        line += "'" + word + "' ";
    sys::ProcessSpec terminal;
    terminal.argv = {"script", "-qec", line, "/dev/null"};  // a pseudo-terminal around envpin
    terminal.timeout = std::chrono::seconds(120);
    const auto shown = sys::run_process(terminal);
    ASSERT_TRUE(shown && shown->success()) << (shown ? shown->out + shown->err : shown.error().describe());
    EXPECT_NE(shown->out.find("envpin: installing"), std::string::npos) << shown->out;
    if (GetParam() == "uv") {
        EXPECT_NE(shown->out.find("Resolved"), std::string::npos) << shown->out;
    }
    EXPECT_NE(shown->out.find(installed), std::string::npos) << shown->out;

    auto quiet = command("quiet");
    const auto piped = run_envpin(std::vector<std::string>(quiet.begin() + 1, quiet.end()));
    ASSERT_EQ(piped.exit_code, 0) << piped.err;
    EXPECT_EQ(piped.err.find(installed), std::string::npos) << piped.err;
    EXPECT_EQ(piped.out.find(installed), std::string::npos) << piped.out;
}

INSTANTIATE_TEST_SUITE_P(BothInstallers, CreateWithoutTorch, ::testing::Values("uv", "pip"),
                         [](const auto& param_info) { return param_info.param; });

class CreateBadInput : public CreateTest {
protected:
    void SetUp() override
    {
        CreateTest::SetUp();
        write_text(dir / "taken/keep.txt", "mine");
        ASSERT_EQ(create({"first", "--torch", "none", "--with", "tinyops==1.0.0", "--find-links",
                          example_wheelhouse().string(), "--offline", "--installer", "pip", "--path",
                          (dir / "first").string()})
                      .exit_code,
                  0);
    }

    // Exit 2, the message names `names`, the store and the directory are as they were.
    void expect_refused(std::vector<std::string> arguments, std::string_view names)
    {
        const auto before = store_fingerprint(store());
        const auto tree = files_outside_the_store();
        const auto run = create(arguments);
        EXPECT_EQ(run.exit_code, 2) << arguments.front() << ": " << run.err;
        EXPECT_TRUE(has(run.err, names)) << run.err;
        EXPECT_EQ(store_fingerprint(store()), before);
        EXPECT_EQ(files_outside_the_store(), tree);
    }

    // The test directory (environments, locks, indexes) without the store, whose SQLite
    // files a reader may touch.
    TreePicture files_outside_the_store() const
    {
        auto tree = picture(dir.path());
        std::erase_if(tree, [](const auto& entry) { return entry.first.starts_with("store"); });
        return tree;
    }

    std::vector<std::string> offline(const std::string& name) const
    {
        return {name, "--torch", "none", "--find-links", example_wheelhouse().string(), "--offline", "--path",
                (dir / name).string(), "--installer", "pip"};
    }

    std::vector<std::string> with(std::vector<std::string> base, std::vector<std::string> more) const
    {
        base.insert(base.end(), more.begin(), more.end());
        return base;
    }
};

TEST_F(CreateBadInput, InstallerOptionsInRequirementsAreRefused)
{
    expect_refused(with(offline("x"), {"--with", "--index-url http://127.0.0.1:9/simple"}), "installer options");
    expect_refused(with(offline("x"), {"--with", "tinyops --extra-index-url http://127.0.0.1:9/simple"}),
                   "carries an installer option");
}

TEST_F(CreateBadInput, ExistingPathsNamesAndUnknownInstallersAreRefused)
{
    expect_refused({"x", "--torch", "none", "--path", (dir / "taken").string()}, "taken already exists");
    EXPECT_EQ(read_text(dir / "taken/keep.txt"), "mine");
    expect_refused(offline("first"), "first already exists");
    expect_refused({"other", "--torch", "none", "--installer", "conda", "--path", (dir / "other").string()},
                   "--installer 'conda'");
    expect_refused({"../evil", "--torch", "none", "--path", (dir / "evil").string()}, "environment name '../evil'");
    auto named_twice = offline("again");
    named_twice[0] = "first";
    named_twice[7] = (dir / "again").string();
    expect_refused(named_twice, "'first' is already in use");
    expect_refused({"y", "--torch", "none", "--offline", "--path", (dir / "y").string()}, "--offline needs --find-links");
}

TEST_F(CreateBadInput, MalformedOrTamperedLocksAreRefused)
{
    write_text(dir / "broken.lock", "version = 1\n[stack\n");
    expect_refused({"x", "--from-lock", (dir / "broken.lock").string(), "--path", (dir / "x").string()},
                   "broken.lock line 2");
    const Lock good = [&] {
        Lock stand_in;
        stand_in.stack = {"2.7.1+cu128", "cu128", "12.8", "3.11", variant_index->url(), "9.7.1.26", std::nullopt,
                          "3.3.1"};
        stand_in.host.compat = "native";
        stand_in.packages = {{"torch", "2.7.1+cu128", variant_index->url()}};
        return stand_in;
    }();
    auto smuggled = good;
    smuggled.installed = {{"torch --index-url http://127.0.0.1:9/simple", "2.7.1+cu128", "", std::string(64, 'a')}};
    write_text(dir / "smuggled.lock", print_lock(smuggled));
    expect_refused({"x", "--from-lock", (dir / "smuggled.lock").string(), "--path", (dir / "x").string()},
                   "is not a distribution name");
    auto redirected = good;
    redirected.stack.index_url = "--extra-index-url=http://127.0.0.1:9/simple";
    write_text(dir / "redirected.lock", print_lock(redirected));
    expect_refused({"x", "--from-lock", (dir / "redirected.lock").string(), "--path", (dir / "x").string()},
                   "stack.index_url");
    expect_refused({"x", "--from-lock", (dir / "missing.lock").string(), "--path", (dir / "x").string()},
                   "missing.lock");
    expect_refused({"x", "--from-lock", (dir / "redirected.lock").string(), "--torch", "2.7", "--path",
                    (dir / "x").string()},
                   "--from-lock already names one");
}

}  // namespace
}  // namespace envpin::test
