#pragma once
// NVIDIA driver versions ("580.95.05", "470.82.01", "550.54"): compared numerically by
// component, so 580.9 < 580.65.06 < 580.95.05.
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace envpin {

class DriverVersion {
public:
    // nullopt unless `text` is 1-4 dot-separated decimal components ("580.95.05").
    [[nodiscard]] static std::optional<DriverVersion> parse(std::string_view text);

    [[nodiscard]] const std::string& text() const { return text_; }
    [[nodiscard]] const std::vector<long long>& components() const { return components_; }

    // Missing trailing components compare as zero ("550.54" == "550.54.0").
    std::strong_ordering operator<=>(const DriverVersion& other) const;
    bool operator==(const DriverVersion& other) const
    {
        return (*this <=> other) == std::strong_ordering::equal;
    }

private:
    std::string text_;
    std::vector<long long> components_;
};

}  // namespace envpin
