#include "resolver/version.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "base/strings.hpp"

namespace envpin {

// Cursor over the lower-cased text, one grammar rule per member (PEP 440 appendix B regex).
class VersionParser {
  public:
    explicit VersionParser(std::string text) : text_(std::move(text)) {}

    std::optional<Version> parse()
    {
        Version version;
        accept('v');
        if (!parse_epoch_and_release(version))
            return std::nullopt;
        parse_pre(version);
        parse_post(version);
        parse_dev(version);
        if (accept('+') && !parse_local(version))
            return std::nullopt;
        if (pos_ != text_.size())
            return std::nullopt;
        return version;
    }

  private:
    std::string text_;
    size_t pos_ = 0;

    [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
    [[nodiscard]] char peek(size_t ahead = 0) const
    {
        return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
    }
    static bool is_digit(char c) { return c >= '0' && c <= '9'; }
    static bool is_separator(char c) { return c == '-' || c == '_' || c == '.'; }

    bool accept(char c)
    {
        if (peek() != c)
            return false;
        ++pos_;
        return true;
    }

    std::optional<long long> number()
    {
        const size_t start = pos_;
        while (is_digit(peek()))
            ++pos_;
        if (pos_ == start)
            return std::nullopt;
        auto value = parse_integer(std::string_view(text_).substr(start, pos_ - start));
        if (!value)
            pos_ = start; // too large for int64: not a version envpin can compare
        return value;
    }

    bool parse_epoch_and_release(Version& version)
    {
        auto first = number();
        if (!first)
            return false;
        if (accept('!')) {
            if (*first > 1'000'000)
                return false;
            version.epoch_ = static_cast<int>(*first);
            first = number();
            if (!first)
                return false;
        }
        version.release_.push_back(*first);
        while (peek() == '.' && is_digit(peek(1))) {
            ++pos_;
            auto part = number();
            if (!part)
                return false;
            version.release_.push_back(*part);
        }
        return true;
    }

    // Matches one of `words` at the cursor, longest first; returns its index.
    template <size_t N> std::optional<size_t> word(const std::array<std::string_view, N>& words)
    {
        for (size_t i = 0; i < N; ++i)
            if (std::string_view(text_).substr(pos_).starts_with(words[i])) {
                pos_ += words[i].size();
                return i;
            }
        return std::nullopt;
    }

    // Optional separator, one of `words`, optional separator + number. Rolls back on no match.
    template <size_t N>
    std::optional<std::pair<size_t, long long>>
    segment(const std::array<std::string_view, N>& words)
    {
        const size_t start = pos_;
        if (is_separator(peek()))
            ++pos_;
        auto which = word(words);
        if (!which) {
            pos_ = start;
            return std::nullopt;
        }
        const size_t before_number = pos_;
        if (is_separator(peek()))
            ++pos_;
        auto value = number();
        if (!value)
            pos_ = before_number;
        return std::pair{*which, value.value_or(0)};
    }

    void parse_pre(Version& version)
    {
        static constexpr std::array<std::string_view, 7> words{"alpha",   "a",   "beta", "b",
                                                               "preview", "pre", "rc"};
        // "c" is an alias of "rc"; tried separately so "preview"/"pre" win over it.
        auto match = segment(words);
        if (!match) {
            static constexpr std::array<std::string_view, 1> c{"c"};
            if (auto alias = segment(c))
                version.pre_ = Version::Pre{Version::PreKind::rc, alias->second};
            return;
        }
        static constexpr std::array kinds{
            Version::PreKind::a,  Version::PreKind::a,  Version::PreKind::b, Version::PreKind::b,
            Version::PreKind::rc, Version::PreKind::rc, Version::PreKind::rc};
        version.pre_ = Version::Pre{kinds[match->first], match->second};
    }

    void parse_post(Version& version)
    {
        if (peek() == '-' && is_digit(peek(1))) { // implicit post release: "1.0-1"
            ++pos_;
            version.post_ = number();
            return;
        }
        static constexpr std::array<std::string_view, 3> words{"post", "rev", "r"};
        if (auto match = segment(words))
            version.post_ = match->second;
    }

    void parse_dev(Version& version)
    {
        static constexpr std::array<std::string_view, 1> words{"dev"};
        if (auto match = segment(words))
            version.dev_ = match->second;
    }

    bool parse_local(Version& version)
    {
        const auto label = std::string_view(text_).substr(pos_);
        pos_ = text_.size();
        std::string normalized(label);
        std::ranges::replace_if(normalized, is_separator, '.');
        for (auto part : split(normalized, '.')) {
            if (part.empty() || !std::ranges::all_of(part, [](char c) {
                    return is_digit(c) || (c >= 'a' && c <= 'z');
                }))
                return false;
            if (auto value = parse_integer(part))
                version.local_.emplace_back(*value);
            else
                version.local_.emplace_back(std::string(part));
        }
        return true;
    }
};

std::optional<Version> Version::parse(std::string_view text)
{
    return VersionParser(to_lower(trim(text))).parse();
}

Version Version::public_version() const
{
    Version copy = *this;
    copy.local_.clear();
    return copy;
}

Version Version::base_version() const
{
    Version base;
    base.epoch_ = epoch_;
    base.release_ = release_;
    return base;
}

std::string Version::local_text() const
{
    std::string text;
    for (const auto& segment : local_) {
        if (!text.empty())
            text += '.';
        if (const auto* value = std::get_if<long long>(&segment))
            text += std::to_string(*value);
        else
            text += std::get<std::string>(segment);
    }
    return text;
}

std::string Version::to_string() const
{
    std::string text = epoch_ != 0 ? std::to_string(epoch_) + "!" : "";
    for (size_t i = 0; i < release_.size(); ++i)
        text += (i ? "." : "") + std::to_string(release_[i]);
    if (pre_) {
        static constexpr std::array<std::string_view, 3> names{"a", "b", "rc"};
        text += names[static_cast<size_t>(pre_->kind)];
        text += std::to_string(pre_->number);
    }
    if (post_)
        text += ".post" + std::to_string(*post_);
    if (dev_)
        text += ".dev" + std::to_string(*dev_);
    if (has_local())
        text += "+" + local_text();
    return text;
}

namespace {

// Sort keys of the suffixes, as in `packaging`: a dev release without pre/post sorts before
// any pre-release of the same release; no pre sorts after every pre; no post before any post;
// no dev after any dev.
constexpr long long k_low = -1;
constexpr long long k_high = 1LL << 62;

std::strong_ordering compare_release(const std::vector<long long>& a,
                                     const std::vector<long long>& b)
{
    const size_t n = std::max(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
        const long long x = i < a.size() ? a[i] : 0;
        const long long y = i < b.size() ? b[i] : 0;
        if (x != y)
            return x <=> y;
    }
    return std::strong_ordering::equal;
}

std::pair<long long, long long> pre_key(const Version& v)
{
    if (!v.pre() && !v.post() && v.dev())
        return {k_low, 0};
    if (!v.pre())
        return {k_high, 0};
    return {static_cast<long long>(v.pre()->kind), v.pre()->number};
}

// PEP 440: numeric local segments sort after alphanumeric ones; a longer local label with an
// equal prefix sorts later.
std::strong_ordering compare_local(const std::vector<Version::LocalSegment>& a,
                                   const std::vector<Version::LocalSegment>& b)
{
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        if (a[i].index() != b[i].index())
            return a[i].index() == 0 ? std::strong_ordering::greater : std::strong_ordering::less;
        const auto order = a[i] <=> b[i];
        if (order != std::strong_ordering::equal)
            return order;
    }
    return a.size() <=> b.size();
}

} // namespace

std::strong_ordering Version::operator<=>(const Version& other) const
{
    if (epoch_ != other.epoch_)
        return epoch_ <=> other.epoch_;
    if (auto order = compare_release(release_, other.release_); order != 0)
        return order;
    if (auto order = pre_key(*this) <=> pre_key(other); order != 0)
        return order;
    if (auto order = post_.value_or(k_low) <=> other.post_.value_or(k_low); order != 0)
        return order;
    if (auto order = dev_.value_or(k_high) <=> other.dev_.value_or(k_high); order != 0)
        return order;
    return compare_local(local_, other.local_);
}

} // namespace envpin
