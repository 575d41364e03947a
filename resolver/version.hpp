#pragma once
// PEP 440 versions: "2.7.1", "2.7.1+cu128", "1!2.0", "3.0.0rc1", "2.5.0.post1.dev3".
// Parsing normalizes the way pip does (case, "alpha" -> "a", "-1" -> ".post1", "_" in local
// segments -> "."), and ordering follows PEP 440, local versions included.
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace envpin {

class Version {
  public:
    enum class PreKind { a, b, rc }; // ordered: alpha < beta < release candidate
    struct Pre {
        PreKind kind = PreKind::a;
        long long number = 0;
        bool operator==(const Pre&) const = default;
    };
    // A local segment is a number or a lower-case alphanumeric string ("cu128", "1").
    using LocalSegment = std::variant<long long, std::string>;

    // nullopt unless `text` is a valid PEP 440 version (surrounding spaces allowed).
    [[nodiscard]] static std::optional<Version> parse(std::string_view text);

    [[nodiscard]] int epoch() const { return epoch_; }
    [[nodiscard]] const std::vector<long long>& release() const { return release_; }
    [[nodiscard]] const std::optional<Pre>& pre() const { return pre_; }
    [[nodiscard]] const std::optional<long long>& post() const { return post_; }
    [[nodiscard]] const std::optional<long long>& dev() const { return dev_; }
    [[nodiscard]] const std::vector<LocalSegment>& local() const { return local_; }

    [[nodiscard]] bool is_prerelease() const { return pre_.has_value() || dev_.has_value(); }
    [[nodiscard]] bool is_postrelease() const { return post_.has_value(); }
    [[nodiscard]] bool has_local() const { return !local_.empty(); }
    // The same version without its local label ("2.7.1+cu128" -> "2.7.1").
    [[nodiscard]] Version public_version() const;
    // Epoch and release only ("2.7.1rc1.post2" -> "2.7.1").
    [[nodiscard]] Version base_version() const;
    // The local label as written in normal form ("cu128"), empty without one.
    [[nodiscard]] std::string local_text() const;

    // Normal form: "1!2.0rc1.post2.dev3+ubuntu.1"; the epoch only when non-zero.
    [[nodiscard]] std::string to_string() const;

    // PEP 440 order: release numbers with trailing zeros ignored (2.7 == 2.7.0), then
    // dev < pre < final < post, then local (a local version sorts after its public one).
    std::strong_ordering operator<=>(const Version& other) const;
    bool operator==(const Version& other) const
    {
        return (*this <=> other) == std::strong_ordering::equal;
    }

  private:
    int epoch_ = 0;
    std::vector<long long> release_;
    std::optional<Pre> pre_;
    std::optional<long long> post_;
    std::optional<long long> dev_;
    std::vector<LocalSegment> local_;

    friend class VersionParser;
};

} // namespace envpin
