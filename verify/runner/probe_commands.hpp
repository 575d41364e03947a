#pragma once
// Bodies of the `envpin probe ...` child commands. Each returns a JSON report; the child
// prints it and the parent (check runner or test) reads it.
#include <nlohmann/json.hpp>

namespace envpin::verify {

// Vector add on every visible GPU: {"status": "pass"|"fail"|"skip"|"error", "detail": ...,
// "gpus": [{"index", "elements", "wrong", "first_wrong", "ms"}]}.
[[nodiscard]] nlohmann::json probe_vector_add();

}  // namespace envpin::verify
