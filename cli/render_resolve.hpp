#pragma once
// Rendering of a resolution: the human answer (short, or with --explain every rejected
// candidate and every weak fact the choice rests on) and the `resolve --json` contract.
#include <ostream>

#include <nlohmann/json.hpp>

#include "resolver/host_facts.hpp"
#include "resolver/plan.hpp"
#include "resolver/request.hpp"

namespace envpin::cli {

enum class Detail { summary, explain };

void render_resolution(const Resolution& resolution, const Request& request, const HostFacts& host,
                       Detail detail, std::ostream& out);

// The contract of docs/CLI.md, "resolve --json": {"status", "torch", "variant", "cuda", "python", "cudnn", "nccl", "triton",
// "min_driver", "compat", "index_url", "packages", "warnings", "rejected"} plus envpin's extra
// fields (arch, coverage, pins, rests_on, summary, host, ...).
[[nodiscard]] nlohmann::json resolution_to_json(const Resolution& resolution,
                                                const HostFacts& host);

} // namespace envpin::cli
