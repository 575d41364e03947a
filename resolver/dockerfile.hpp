#pragma once
// `envpin export dockerfile`: a Dockerfile that pins a lock section's environment in an image:
// a base image matching the stack, the section's [[installed]] wheels installed with hashes
// required (the same lines `export requirements` writes), the environment adopted into envpin's
// store in the image, and `envpin verify` as the image's health check. Pure: text from values.
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "resolver/catalog.hpp"
#include "resolver/lock.hpp"

namespace envpin {

struct DockerfileOptions {
    std::string base_image;             // empty: default_base_image(lock)
    std::string environment = "app";    // the environment's name in the image's envpin store
};

// The image a section's stack builds on: the catalog's NVIDIA CUDA `base` image for the stack's
// CUDA release (CUDA's runtime and forward-compatibility libraries on Ubuntu 24.04; the wheels
// carry the rest), or Ubuntu 24.04 for a cpu stack. bad_input naming `origin` when the catalog
// names no image for the release (`--base IMAGE` names one).
[[nodiscard]] Expected<std::string> default_base_image(const Catalog& catalog, const Lock& lock,
                                                       std::string_view origin);

// The Dockerfile. Same errors as requirements_from_lock (a section without [[installed]]
// hashes), and bad_input for a base image or environment name that is not one.
[[nodiscard]] Expected<std::string> dockerfile_from_lock(const Catalog& catalog, const Lock& lock,
                                                         const DockerfileOptions& options, std::string_view origin);

}  // namespace envpin
