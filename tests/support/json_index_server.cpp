#include "tests/support/json_index_server.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <openssl/evp.h>

namespace envpin::test {
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, const std::string& text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

std::string sha256_hex(const std::string& data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        static const char* digits = "0123456789abcdef";
        hex += digits[digest[i] >> 4];
        hex += digits[digest[i] & 15];
    }
    return hex;
}

std::string torch_metadata(const std::string& version, const std::vector<std::string>& requires_dist)
{
    std::string text = "Metadata-Version: 2.4\nName: torch\nVersion: " + version +
                       "\nSummary: Tensors and Dynamic neural networks in Python with strong GPU acceleration\n"
                       "Requires-Python: >=3.10\n";
    for (const auto& line : requires_dist)
        text += "Requires-Dist: " + line + "\n";
    return text + "\nThe description, which envpin never reads.\nRequires-Dist: not-a-header\n";
}

JsonIndexServer::JsonIndexServer(const fs::path& root) : root_(root)
{
    fs::create_directories(root_);
    const auto port_file = root_ / "port";
    pid_ = ::fork();
    if (pid_ == 0) {
        const auto script = std::string(ENVPIN_SOURCE_DIR) + "/tests/data/json_index_server.py";
        ::execlp("python3", "python3", script.c_str(), root_.c_str(), port_file.c_str(), nullptr);
        ::_exit(127);
    }
    for (int i = 0; i < 200 && !fs::exists(port_file); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(port_file);
    if (!(in >> port_))
        throw std::runtime_error("json index server did not start");
}

JsonIndexServer::~JsonIndexServer()
{
    stop();
}

void JsonIndexServer::stop()
{
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
}

void JsonIndexServer::add(const FixtureWheel& wheel)
{
    write_file(root_ / "files" / wheel.filename, "wheel bytes of " + wheel.filename);
    write_file(root_ / "files" / (wheel.filename + ".metadata"), wheel.metadata);
    pages_[{wheel.index, wheel.project}].push_back(wheel);
    write_page(wheel.index, wheel.project);
}

void JsonIndexServer::write_page(const std::string& index, const std::string& project)
{
    nlohmann::json files = nlohmann::json::array();
    for (const auto& wheel : pages_[{index, project}]) {
        nlohmann::json entry{{"filename", wheel.filename},
                             {"url", "../../files/" + wheel.filename},
                             {"hashes", {{"sha256", sha256_hex("wheel bytes of " + wheel.filename)}}},
                             {"requires-python", ">=3.10"}};
        if (wheel.metadata_listed)
            entry["core-metadata"] = {{"sha256", wheel.metadata_sha256.empty() ? sha256_hex(wheel.metadata) : wheel.metadata_sha256}};
        files.push_back(entry);
    }
    const nlohmann::json page{{"meta", {{"api-version", "1.1"}}}, {"name", project}, {"files", files}};
    write_file(root_ / index / project / "index.json", page.dump(1));
}

void JsonIndexServer::set_faults(const nlohmann::json& faults)
{
    write_file(root_ / "faults.json", faults.dump());
}

std::string JsonIndexServer::url(const std::string& index) const
{
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + index;
}

std::vector<std::vector<std::string>> JsonIndexServer::requests() const
{
    std::vector<std::vector<std::string>> lines;
    std::ifstream in(root_ / "requests.log");
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream stream(line);
        std::string field;
        while (std::getline(stream, field, '\t'))
            fields.push_back(field);
        fields.resize(3);
        lines.push_back(fields);
    }
    return lines;
}

}  // namespace envpin::test
