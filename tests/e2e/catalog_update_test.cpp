// `envpin catalog update|show|diff` through the built binary against a real JSON simple API
// index on 127.0.0.1 (tests/data/json_index_server.py): the overlay it writes, resolve using it,
// conditional requests, --offline, proxies, and every bad answer an index can give.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "tests/support/json_index_server.hpp"
#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

// Requires-Dist lines as torch 2.11.0+cu130 writes them (nvidia-* pins for Linux only).
std::vector<std::string> cu130_pins()
{
    const std::string on_linux = "; platform_system == \"Linux\"";
    return {"filelock",
            "nvidia-cudnn-cu13==9.19.0.56" + on_linux,
            "nvidia-nccl-cu13==2.28.9" + on_linux,
            "cuda-toolkit[cublas,cudart,cufft,cufile,cupti,curand,cusolver,cusparse,nvjitlink,nvrtc,nvtx]==13.0.2" + on_linux,
            "cuda-bindings<14,>=13.0.3" + on_linux,
            "nvidia-cusparselt-cu13==0.8.0" + on_linux,
            "nvidia-nvshmem-cu13==3.4.5" + on_linux,
            "triton==3.6.0" + on_linux,
            "opt-einsum>=3.3; extra == \"opt-einsum\""};
}

std::string companion_metadata(const std::string& name, const std::string& version, const std::string& torch)
{
    return "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nRequires-Dist: numpy\nRequires-Dist: torch==" +
           torch + "\n";
}

class CatalogUpdate : public ::testing::Test {
protected:
    void SetUp() override
    {
        server = std::make_unique<JsonIndexServer>(dir.path() / "index");
        for (const char* python : {"cp312-cp312", "cp313-cp313", "cp313-cp313t"}) {
            const std::string tag = std::string(python) + "-manylinux_2_28_x86_64.whl";
            server->add({"cu130", "torch", "torch-2.11.0+cu130-" + tag, torch_metadata("2.11.0+cu130", cu130_pins())});
            server->add({"cu130", "torch", "torch-2.15.0+cu130-" + tag, torch_metadata("2.15.0+cu130", cu130_pins())});
        }
        server->add({"cu130", "torch", "torch-2.15.0+cu130-cp312-cp312-win_amd64.whl", torch_metadata("2.15.0+cu130", {})});
        server->add({"cu130", "torchvision", "torchvision-0.30.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl",
                     companion_metadata("torchvision", "0.30.0+cu130", "2.15.0")});
        server->add({"cu130", "torchvision", "torchvision-0.26.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl",
                     companion_metadata("torchvision", "0.26.0+cu130", "2.11.0")});
    }

    [[nodiscard]] std::string store() const { return (dir.path() / "store").string(); }
    [[nodiscard]] fs::path overlay() const { return dir.path() / "store" / "catalog" / "overlay.toml"; }

    EnvpinRun envpin(std::vector<std::string> arguments, const std::vector<std::pair<std::string, std::string>>& env = {})
    {
        arguments.insert(arguments.begin(), {"--store", store()});
        return run_envpin(arguments, env);
    }

    EnvpinRun update(std::vector<std::string> extra = {}, const std::vector<std::pair<std::string, std::string>>& env = {})
    {
        std::vector<std::string> arguments = {"catalog", "update", "--index", server->url("cu130"), "--json"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        return envpin(arguments, env);
    }

    static std::string read(const fs::path& path)
    {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }

    TempDir dir;
    std::unique_ptr<JsonIndexServer> server;
};

TEST_F(CatalogUpdate, WritesAnOverlayThatResolveAndShowUse)
{
    const auto run = update();
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto json = run.json();
    EXPECT_EQ(json["releases_in_overlay"], 2);
    EXPECT_EQ(json["metadata_files"], 4);  // one per release and project, not one per wheel
    EXPECT_EQ(json["wheels_with_sha256"], 8);
    ASSERT_TRUE(fs::exists(overlay()));
    const auto text = read(overlay());
    EXPECT_NE(text.find("\"nvidia-cudnn-cu13==9.19.0.56\""), std::string::npos) << text;
    EXPECT_EQ(text.find("win_amd64"), std::string::npos);
    EXPECT_EQ(text.find("opt-einsum"), std::string::npos);

    // The new release: resolve picks it for an H100, its arch list borrowed and said so.
    const auto resolved = envpin({"resolve", "--driver", "580.95.05", "--gpu", "H100", "--cuda", "13.0", "--json"});
    ASSERT_EQ(resolved.exit_code, 0) << resolved.err;
    EXPECT_EQ(resolved.json()["torch"], "2.15.0+cu130") << resolved.out;
    EXPECT_EQ(resolved.json()["variant"], "cu130") << resolved.out;

    const auto shown = envpin({"catalog", "show", "--torch", "==2.15.0", "--json"});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    const auto release = shown.json()["releases"].at(0);
    EXPECT_EQ(release["torchvision"], "0.30.0");
    EXPECT_EQ(release["triton"], "3.6.0");
    EXPECT_EQ(release["python"], nlohmann::json({"3.12", "3.13", "3.13t"}));
    const auto build = release["builds"].at(0);
    EXPECT_EQ(build["toolkit"], "13.0.2");
    EXPECT_EQ(build["arch_evidence"], "unverified");
    EXPECT_NE(build["origin"].get<std::string>().find(server->url("cu130")), std::string::npos);
    EXPECT_EQ(shown.json()["overlay"]["indexes"], nlohmann::json({server->url("cu130")}));
    const auto plain = envpin({"catalog", "show", "--torch", "==2.15.0"});
    EXPECT_NE(plain.out.find("from: " + server->url("cu130")), std::string::npos) << plain.out;
}

TEST_F(CatalogUpdate, LockPinsWhatTheIndexSaid)
{
    ASSERT_EQ(update().exit_code, 0);
    std::ofstream(dir.path() / "envpin.toml") << "[environment]\nname = \"train\"\npython = \"3.12\"\ntorch = \"==2.15.0\"\n"
                                                 "cuda = \"13.0\"\n";
    const auto run = envpin({"lock", "--stack-only", "--spec", (dir.path() / "envpin.toml").string(), "--driver",
                             "580.95.05", "--gpu", "H100"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const auto lock = read(dir.path() / "envpin.lock");
    EXPECT_NE(lock.find("2.15.0+cu130"), std::string::npos) << lock;
    EXPECT_NE(lock.find("9.19.0.56"), std::string::npos) << lock;  // cuDNN exactly as Requires-Dist pins it
    // Without the overlay (another store) there is no such release.
    const auto without = run_envpin({"--store", (dir.path() / "other").string(), "lock", "--stack-only", "--spec",
                                     (dir.path() / "envpin.toml").string(), "--driver", "580.95.05", "--gpu", "H100"});
    EXPECT_EQ(without.exit_code, 1) << without.out << without.err;
}

// The header block of the METADATA of PyPI's torch 2.11.0 wheel, as installed on the GPU
// machine (tests/data/metadata): PyPI's plain wheel is the cu130 build, and its pins are the ones
// the built-in catalog verified.
TEST_F(CatalogUpdate, PyPIsPlainWheelIsTheVariantItsPinsName)
{
    std::ifstream in(std::string(ENVPIN_SOURCE_DIR) + "/tests/data/metadata/torch-2.11.0-pypi.METADATA");
    const std::string metadata{std::istreambuf_iterator<char>(in), {}};
    ASSERT_NE(metadata.find("Name: torch"), std::string::npos);
    server->add({"simple", "torch", "torch-2.11.0-cp312-cp312-manylinux_2_28_x86_64.whl", metadata});
    const auto run = envpin({"catalog", "update", "--index", server->url("simple"), "--json"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto shown = envpin({"catalog", "show", "--torch", "==2.11.0", "--json"});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    const auto release = shown.json()["releases"].at(0);
    EXPECT_EQ(release["pypi_default"], "cu130");
    bool checked = false;
    const auto builds = release["builds"];
    for (const auto& build : builds) {
        if (build["variant"] != "cu130")
            continue;
        EXPECT_EQ(build["origin"], server->url("simple") + " (" + shown.json()["overlay"]["updated"].get<std::string>() + ")");
        for (const auto& pin : build["pins"])
            if (pin["role"] == "cudnn") {
                EXPECT_EQ(pin["version"], "9.19.0.56");
                EXPECT_EQ(pin["evidence"], "verified");
                checked = true;
            }
    }
    EXPECT_TRUE(checked) << shown.out;
    const auto differences = envpin({"catalog", "diff", "--json"}).json()["differences"];
    for (const auto& difference : differences)
        EXPECT_NE(difference["subject"], "torch 2.11.0+cu130") << difference.dump();  // the pins agree
}

TEST_F(CatalogUpdate, ASecondUpdateSendsOnlyConditionalRequests)
{
    ASSERT_EQ(update().exit_code, 0);
    const size_t first = server->requests().size();
    const auto again = update();
    ASSERT_EQ(again.exit_code, 0) << again.err;
    // Every page and METADATA file answered 304; only the index's 404 for torchaudio (which
    // carries no ETag to ask about) was sent again in full.
    const auto requests = server->requests();
    ASSERT_GT(requests.size(), first);
    for (size_t i = first; i < requests.size(); ++i)
        if (requests[i][0] != "/cu130/torchaudio/")
            EXPECT_FALSE(requests[i][1].empty()) << requests[i][0] << " was not conditional";
    EXPECT_EQ(again.json()["not_modified"].get<int>(), again.json()["requests"].get<int>() - 1);
    EXPECT_EQ(again.json()["bytes_received"], std::string("not found\n").size());
}

TEST_F(CatalogUpdate, OfflineReadsWhatEarlierUpdatesFetchedAndNothingElse)
{
    ASSERT_EQ(update().exit_code, 0);
    const auto written = read(overlay());
    server->stop();
    const auto offline = update({"--offline"});
    ASSERT_EQ(offline.exit_code, 0) << offline.err;
    EXPECT_EQ(offline.json()["requests"], 0);
    EXPECT_EQ(read(overlay()), written);

    const auto fresh = run_envpin({"--store", (dir.path() / "fresh").string(), "catalog", "update", "--offline", "--index",
                                   server->url("cu130")});
    EXPECT_EQ(fresh.exit_code, 3);
    EXPECT_NE(fresh.err.find(server->url("cu130") + "/torch"), std::string::npos) << fresh.err;  // whichever page came first
    EXPECT_NE(fresh.err.find("--offline"), std::string::npos) << fresh.err;
    EXPECT_FALSE(fs::exists(dir.path() / "fresh" / "catalog" / "overlay.toml"));
}

TEST_F(CatalogUpdate, BadAnswersFailNamingTheUrlAndLeaveTheOverlayAsItWas)
{
    ASSERT_EQ(update().exit_code, 0);
    const auto before = read(overlay());
    const std::string page = "/cu130/torch/";
    const std::string metadata = "/files/torch-2.15.0+cu130-cp313-cp313t-manylinux_2_28_x86_64.whl.metadata";
    const std::vector<std::tuple<std::string, nlohmann::json, std::string>> cases = {
        {"html", {{page, {{"content_type", "text/html"}}}}, "text/html instead of the JSON simple API"},
        {"redirect", {{page, {{"redirect", "http://localhost:" + std::to_string(server->port()) + page}}}}, "another host"},
        {"oversized", {{page, {{"flood", 80}}}}, "larger than"},
        {"unavailable", {{page, {{"status", 503}}}}, "HTTP 503 (4 tries)"},
        {"gone", {{metadata, {{"status", 410}}}}, "HTTP 410"},
    };
    for (const auto& [name, faults, expected] : cases) {
        server->set_faults(faults);
        const auto run = update({"--parallel", "1"});
        EXPECT_EQ(run.exit_code, 3) << name << ": " << run.err;
        EXPECT_NE(run.err.find(expected), std::string::npos) << name << ": " << run.err;
        EXPECT_NE(run.err.find("http://127.0.0.1:" + std::to_string(server->port())), std::string::npos) << name << ": " << run.err;
        EXPECT_EQ(read(overlay()), before) << name;
    }
    server->set_faults(nlohmann::json::object());

    // Malformed JSON, and METADATA whose hash is not the one the page gives.
    TempDir other;
    JsonIndexServer bad(other.path() / "index");
    bad.add({"cu130", "torch", "torch-2.11.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl", torch_metadata("2.11.0+cu130", {}),
             true, std::string(64, '0')});
    auto run = run_envpin({"--store", store(), "catalog", "update", "--index", bad.url("cu130")});
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_NE(run.err.find(".whl.metadata: its sha256 is"), std::string::npos) << run.err;
    std::ofstream(other.path() / "index" / "cu130" / "torch" / "index.json") << "{\"meta\": {\"api-version\": \"1.1\"}, \"files\": [";
    run = run_envpin({"--store", store(), "catalog", "update", "--index", bad.url("cu130")});
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_NE(run.err.find(bad.url("cu130") + "/torch/: not valid JSON"), std::string::npos) << run.err;
    EXPECT_EQ(read(overlay()), before);
}

TEST_F(CatalogUpdate, RetriesA503AndThenReads)
{
    server->set_faults({{"/cu130/torch/", {{"status", 503}, {"times", 2}}}});
    const auto run = update();
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto requests = server->requests();
    EXPECT_EQ(std::ranges::count_if(requests, [](const auto& r) { return r[0] == "/cu130/torch/"; }), 3);
}

TEST_F(CatalogUpdate, ProxiesComeFromTheEnvironmentAndNoProxyExemptsHosts)
{
    const std::vector<std::pair<std::string, std::string>> proxy = {{"http_proxy", "http://127.0.0.1:9"}, {"NO_PROXY", ""}};
    const auto through_proxy = update({}, proxy);
    EXPECT_EQ(through_proxy.exit_code, 3) << through_proxy.err;  // the proxy does not exist
    const auto exempt = update({}, {{"http_proxy", "http://127.0.0.1:9"}, {"NO_PROXY", "127.0.0.1"}});
    EXPECT_EQ(exempt.exit_code, 0) << exempt.err;
}

TEST_F(CatalogUpdate, TorchLimitsTheReleasesAndKeepsWhatEarlierUpdatesRead)
{
    ASSERT_EQ(update().exit_code, 0);
    const auto limited = update({"--torch", "==2.11.0"});
    ASSERT_EQ(limited.exit_code, 0) << limited.err;
    EXPECT_EQ(limited.json()["releases_read"].size(), 1u);
    EXPECT_EQ(limited.json()["releases_in_overlay"], 2);
    const auto none = update({"--torch", "==1.0"});
    EXPECT_EQ(none.exit_code, 2) << none.err;
}

TEST_F(CatalogUpdate, DiffNamesWhereTheBuiltInCatalogAndTheIndexDisagree)
{
    const auto before = envpin({"catalog", "diff"});
    EXPECT_EQ(before.exit_code, 2);
    EXPECT_NE(before.err.find("envpin catalog update"), std::string::npos) << before.err;
    ASSERT_EQ(update().exit_code, 0);
    const auto diff = envpin({"catalog", "diff", "--json"});
    ASSERT_EQ(diff.exit_code, 0) << diff.err;
    bool new_release = false;
    const auto differences = diff.json()["differences"];
    for (const auto& difference : differences)
        new_release = new_release || (difference["subject"] == "torch 2.15.0" && difference["field"] == "release");
    EXPECT_TRUE(new_release) << diff.out;
    EXPECT_EQ(envpin({"catalog", "diff", "--exit-code"}).exit_code, 1);
}

TEST_F(CatalogUpdate, BadFlagsExitTwoAndChangeNothing)
{
    auto run = envpin({"catalog", "update", "--index", "download.pytorch.org/whl/cu130"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("download.pytorch.org/whl/cu130"), std::string::npos) << run.err;
    run = envpin({"catalog", "update", "--index", server->url("cu130"), "--torch", ">>2"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("--torch '>>2'"), std::string::npos) << run.err;
    run = envpin({"catalog", "show", "--torch", "==1.0"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_FALSE(fs::exists(overlay()));
    EXPECT_TRUE(server->requests().empty());
}

TEST_F(CatalogUpdate, ADamagedOverlayIsNamedByEveryCommandThatReadsIt)
{
    ASSERT_EQ(update().exit_code, 0);
    std::ofstream(overlay(), std::ios::app) << "\n[[torch]]\nversoin = \"2.16.0\"\n";
    const auto run = envpin({"resolve", "--driver", "580.95.05", "--gpu", "H100"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find(overlay().string()), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("catalog update"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace envpin::test
