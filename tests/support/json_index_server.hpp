#pragma once
// A real package index in the JSON simple API (PEP 691, PEP 658 metadata files) on 127.0.0.1,
// served by tests/data/json_index_server.py from a tree this class writes: for the tests of
// `envpin catalog update` (ETags, Range requests, injected faults; see the script's header).
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace envpin::test {

struct FixtureWheel {
    std::string index;    // "cu130": the index's path segment
    std::string project;  // "torch"
    std::string filename; // "torch-2.11.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl"
    std::string metadata; // METADATA text; served at <file>.metadata
    bool metadata_listed = true;  // the page says core-metadata is available
    std::string metadata_sha256;  // the hash the page gives; empty: the real one
};

class JsonIndexServer {
public:
    explicit JsonIndexServer(const std::filesystem::path& root);
    ~JsonIndexServer();
    JsonIndexServer(const JsonIndexServer&) = delete;
    JsonIndexServer& operator=(const JsonIndexServer&) = delete;

    // Adds a wheel and rewrites its project's page (files under ROOT/files/, linked relatively).
    void add(const FixtureWheel& wheel);
    // ROOT/faults.json: path -> fault (see the script).
    void set_faults(const nlohmann::json& faults);
    // "http://127.0.0.1:PORT/<index>"
    [[nodiscard]] std::string url(const std::string& index) const;
    [[nodiscard]] int port() const { return port_; }
    // Each request so far: path, If-None-Match, Range.
    [[nodiscard]] std::vector<std::vector<std::string>> requests() const;
    void stop();

private:
    void write_page(const std::string& index, const std::string& project);
    std::filesystem::path root_;
    pid_t pid_ = -1;
    int port_ = 0;
    std::map<std::pair<std::string, std::string>, std::vector<FixtureWheel>> pages_;
};

std::string sha256_hex(const std::string& data);

// A torch METADATA with these Requires-Dist lines (markers as the real wheels write them).
std::string torch_metadata(const std::string& version, const std::vector<std::string>& requires_dist);

}  // namespace envpin::test
