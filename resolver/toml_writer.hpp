#pragma once
// A small TOML printer for envpin's own files: keys in the order written, one value per line,
// strings escaped per TOML 1.0, so equal values print byte-identically.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace envpin::toml_write {

// `text` as a TOML basic string, quotes included.
[[nodiscard]] std::string quote(std::string_view text);

class Writer {
  public:
    void comment(std::string_view text);     // "# text"
    void table(std::string_view name);       // blank line, "[name]"
    void array_table(std::string_view name); // blank line, "[[name]]"
    void string(std::string_view key, std::string_view value);
    void nonempty_string(std::string_view key, std::string_view value); // omitted when empty
    void string_if(std::string_view key, const std::optional<std::string>& value);
    void strings(std::string_view key, const std::vector<std::string>& values);
    void integer(std::string_view key, long long value);
    void boolean(std::string_view key, bool value);
    void blank();
    [[nodiscard]] const std::string& text() const { return text_; }

  private:
    std::string text_;
};

} // namespace envpin::toml_write
