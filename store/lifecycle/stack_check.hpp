#pragma once
// After `create` installs a stack, the environment's own dist-info must say that the stack is
// what was resolved or locked: torch with its exact local version ("2.7.1+cu128"), the
// companions, triton and every nvidia-* / cuda-toolkit pin the wheel's Requires-Dist carries. An
// index that serves a torch pinning another cuDNN than the catalog says fails here, naming both
// versions. Pure: the distributions are read by the caller.
#include <string>
#include <vector>

#include "resolver/lock.hpp"
#include "store/core/manifest.hpp"

namespace envpin::store {

// A distribution the stack needs: an exact version ("9.7.1.26") or a specifier (">=12.8,<12.9").
struct StackRequirement {
    std::string name;     // normalized (PEP 503)
    std::string version;
    // The same release without a local label is this build: PyPI's torch of the release is the
    // variant (the catalog's pypi_default), and PyPI wheels carry no label ("2.11.0").
    bool unlabelled_ok = false;
    // As a requirement line: "nvidia-cudnn-cu12==9.7.1.26", "cuda-toolkit>=12.8,<12.9".
    [[nodiscard]] std::string requirement_text() const;
    bool operator==(const StackRequirement&) const = default;
};

// The lock's [[package]] entries and its pins of kind "requires", once each by name.
// `pypi_build`: the lock's variant is the build PyPI serves for its torch release, so the torch
// family may also be installed from PyPI's (unlabelled) wheels.
[[nodiscard]] std::vector<StackRequirement> stack_requirements(const Lock& lock, bool pypi_build = false);

// What `create` asks the installer for from the variant's index: torch and the companions the
// lock lists, pinned exactly ("torch==2.7.1+cu128"); the rest comes as their dependencies.
// `public_versions`: pinned without the local label ("torch==2.11.0", which PEP 440 lets match
// "2.11.0+cu130" too), for wheel directories that may hold PyPI's wheels of the PyPI build;
// check_stack still tells which build was installed.
[[nodiscard]] std::vector<std::string> torch_family_requirements(const Lock& lock, bool public_versions = false);

struct StackMismatch {
    std::string name;
    std::string planned;    // exact version or specifier
    std::string installed;  // empty: not installed
    // "nvidia-cudnn-cu12: plan 9.7.1.26, installed 9.5.1.17" (or "..., not installed").
    [[nodiscard]] std::string describe() const;
    bool operator==(const StackMismatch&) const = default;
};

// Every requirement the installed distributions do not satisfy, in `required` order. Exact
// versions compare as PEP 440 versions, local label included (2.7.1+cu126 is not 2.7.1+cu128);
// an unlabelled installed version satisfies a labelled one only where `unlabelled_ok`.
[[nodiscard]] std::vector<StackMismatch> check_stack(const std::vector<StackRequirement>& required,
                                                     const std::vector<Distribution>& installed);

}  // namespace envpin::store
