#pragma once
// The grammar of each envpin.lock field, checked as the lock is read: a lock edited by hand
// never carries an installer option (`--index-url=...`), a direct URL (`name @ https://...`), a
// shell fragment or a stack that contradicts itself to the installer. Pure: values in, the
// first violation out as a sentence naming the field and what it expected.
#include <optional>
#include <string>
#include <string_view>

#include "resolver/lock.hpp"

namespace envpin::lock_fields {

// A distribution name (PEP 508: letters, digits, '.', '_', '-', starting and ending alnum).
[[nodiscard]] bool is_distribution_name(std::string_view text);
// An http(s) or file URL with no whitespace, quotes or control characters.
[[nodiscard]] bool is_index_url(std::string_view text);

// nullopt when the field holds to its grammar; else what is wrong ("stack.python \"3.11; rm\" is
// not a Python version (e.g. 3.12)").
[[nodiscard]] std::optional<std::string> check_request(const LockRequest& request);
[[nodiscard]] std::optional<std::string> check_stack(const LockStack& stack);
[[nodiscard]] std::optional<std::string> check_package(const LockPackage& package);
[[nodiscard]] std::optional<std::string> check_pin(const LockPin& pin);
[[nodiscard]] std::optional<std::string> check_installed(const InstalledDistribution& installed);
[[nodiscard]] std::optional<std::string> check_target(const Target& target);
[[nodiscard]] std::optional<std::string> check_made_for(const MadeFor& made_for);
// A section whose stack contradicts its target: a CUDA build for a cpu target or for hosts
// without a driver, or a stack needing a newer driver than the target guarantees.
[[nodiscard]] std::optional<std::string> check_target_section(const Lock& section);

}  // namespace envpin::lock_fields
