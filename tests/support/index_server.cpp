#include "tests/support/index_server.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace fs = std::filesystem;
namespace {

std::string sha256_hex(const std::string& bytes)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned i = 0; i < length; ++i) {
        char pair[3];
        std::snprintf(pair, sizeof pair, "%02x", digest[i]);
        hex += pair;
    }
    return hex;
}

// "tinyops-1.0.0-py3-none-any.whl" -> "tinyops" (PEP 503-normalized distribution name).
std::string project_of(const fs::path& wheel)
{
    std::string name = wheel.filename().string();
    name = name.substr(0, name.find('-'));
    for (auto& c : name)
        c = (c == '_' || c == '.') ? '-' : static_cast<char>(std::tolower(c));
    return name;
}

std::string unique_token()
{
    std::random_device random;
    return fmt::format("{:08x}{:08x}", random(), random());
}

constexpr const char* server_script = R"(
import http.server, sys, os, functools
os.chdir(sys.argv[1])
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
sys.stdout.write("%d\n" % server.server_address[1])
sys.stdout.flush()
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
server.serve_forever()
)";

}  // namespace

IndexServer::IndexServer(const fs::path& root, const std::vector<fs::path>& wheels, const std::string& prefix)
{
    // Everything is served below a path no other server used: installers cache pages and files
    // by URL, and ephemeral ports are reused, so two tests' different wheels of one name (or
    // different pages of one project) must never share a URL.
    const auto token = unique_token();
    const auto base = root / token;
    std::map<std::string, std::string> pages;
    fs::create_directories(base / "files");
    for (const auto& wheel : wheels) {
        const auto target = base / "files" / wheel.filename();
        fs::copy_file(wheel, target, fs::copy_options::overwrite_existing);
        pages[project_of(wheel)] += "<a href=\"../../files/" + wheel.filename().string() + "#sha256=" +
                                    sha256_hex(read_text(target)) + "\">" + wheel.filename().string() +
                                    "</a><br/>\n";
    }
    std::string root_page;
    for (const auto& [project, links] : pages) {
        write_text(base / prefix / project / "index.html", "<html><body>\n" + links + "</body></html>\n");
        root_page += "<a href=\"" + project + "/\">" + project + "</a><br/>\n";
    }
    write_text(base / prefix / "index.html", "<html><body>\n" + root_page + "</body></html>\n");

    int fds[2];
    if (::pipe(fds) != 0)
        throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(fds[1], 1);
        ::close(fds[0]);
        ::execlp("python3", "python3", "-c", server_script, root.c_str(), nullptr);
        ::_exit(127);
    }
    ::close(fds[1]);
    // Read the whole "PORT\n" line before closing our end: a partial read would leave the
    // server writing into a closed pipe.
    std::string line;
    char c = 0;
    while (line.size() < 16 && ::read(fds[0], &c, 1) == 1 && c != '\n')
        line += c;
    ::close(fds[0]);
    if (line.empty())
        throw std::runtime_error("index server did not start");
    url_ = "http://127.0.0.1:" + std::to_string(std::atoi(line.c_str())) + "/" + token + "/" + prefix;
}

IndexServer::~IndexServer()
{
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

fs::path example_wheelhouse()
{
    return ENVPIN_TEST_WHEELHOUSE;
}

std::vector<fs::path> example_wheels()
{
    std::vector<fs::path> wheels;
    for (const auto& entry : fs::directory_iterator(example_wheelhouse()))
        if (entry.path().extension() == ".whl")
            wheels.push_back(entry.path());
    std::ranges::sort(wheels);
    return wheels;
}

}  // namespace envpin::test
