#include "fuzz/targets.hpp"

#include <cstdio>
#include <cstdlib>

#include "resolver/lock.hpp"
#include "resolver/marker.hpp"
#include "resolver/requirement.hpp"
#include "resolver/spec_file.hpp"
#include "resolver/specifier.hpp"
#include "resolver/version.hpp"
#include "store/core/manifest.hpp"
#include "store/lifecycle/dist_info.hpp"

namespace envpin::fuzz {
namespace {

void require(bool holds, const char* what)
{
    if (!holds) {
        std::fprintf(stderr, "fuzz: invariant broken: %s\n", what);
        std::abort();
    }
}

void version(std::string_view input)
{
    if (const auto parsed = Version::parse(input)) {
        const auto again = Version::parse(parsed->to_string());
        require(again.has_value() && *again == *parsed, "a version printed parses to itself");
    }
}

void specifier(std::string_view input)
{
    if (const auto parsed = SpecifierSet::parse(input)) {
        (void)parsed->contains(*Version::parse("1.0"));
    }
}

void marker(std::string_view input)
{
    (void)Marker::parse(input);
}

void requirement(std::string_view input)
{
    (void)Requirement::parse(input);
}

void lock(std::string_view input)
{
    if (const auto parsed = parse_lock_file(input, "envpin.lock")) {
        const auto printed = print_lock_file(*parsed);
        const auto again = parse_lock_file(printed, "envpin.lock");
        require(again.has_value() && *again == *parsed, "a lock printed parses to itself");
    }
}

void spec(std::string_view input)
{
    (void)parse_spec(input, "envpin.toml");
}

void manifest(std::string_view input)
{
    (void)store::parse_files(input);
    (void)store::parse_distributions(input);
}

void metadata(std::string_view input)
{
    (void)store::parse_metadata(input);
    (void)store::parse_direct_url(input);
}

struct Target {
    std::string_view name;
    void (*run)(std::string_view);
};

constexpr Target all[] = {{"version", version},   {"specifier", specifier}, {"marker", marker},
                          {"requirement", requirement}, {"lock", lock},      {"spec", spec},
                          {"manifest", manifest}, {"metadata", metadata}};

}  // namespace

const std::vector<std::string_view>& targets()
{
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> list;
        for (const auto& target : all)
            list.push_back(target.name);
        return list;
    }();
    return names;
}

bool run_target(std::string_view target, std::string_view input)
{
    for (const auto& candidate : all)
        if (candidate.name == target) {
            candidate.run(input);
            return true;
        }
    return false;
}

}  // namespace envpin::fuzz
