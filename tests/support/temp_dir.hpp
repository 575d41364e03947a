#pragma once
// A fresh directory per test, removed afterwards (real files, never mocks).
#include <filesystem>
#include <string_view>

namespace envpin::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

void write_text(const std::filesystem::path& path, std::string_view text);
[[nodiscard]] std::string read_text(const std::filesystem::path& path);

}  // namespace envpin::test
