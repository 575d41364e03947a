#pragma once
// A real PEP 503 package index on 127.0.0.1, served by python3's http.server from a
// directory the test fills with wheels. For installer and dependency-confusion tests.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace envpin::test {

class IndexServer {
public:
    // Lays out <root>/<token>/<prefix>/<name>/index.html for every wheel in `wheels` (with
    // #sha256= fragments; <token> is unique to this server, so no URL it serves was ever served
    // before) and starts serving <root> on an ephemeral port. `prefix` is one path segment:
    // "simple", or a variant name ("cu128") for an index a catalog can name.
    IndexServer(const std::filesystem::path& root, const std::vector<std::filesystem::path>& wheels,
                const std::string& prefix = "simple");
    ~IndexServer();
    IndexServer(const IndexServer&) = delete;
    IndexServer& operator=(const IndexServer&) = delete;

    // "http://127.0.0.1:PORT/<token>/<prefix>"
    [[nodiscard]] std::string url() const { return url_; }

private:
    pid_t pid_ = -1;
    std::string url_;
};

// The example packages (examples/packages/*) as wheels, built once per build into the
// test wheelhouse; sorted by file name (tinyops 1.0.0 first).
std::filesystem::path example_wheelhouse();
std::vector<std::filesystem::path> example_wheels();

}  // namespace envpin::test
