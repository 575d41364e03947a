#pragma once
// The one way a command prints a JSON document: on `out`, indented, invalid UTF-8 replaced, with
// `schema_version` added to every object, so scripts can tell which contract they read
// (docs/CLI.md, "JSON output"). Fields are added within a version; one renamed or removed,
// or a document's shape changed, raises it.
#include <ostream>

#include <nlohmann/json.hpp>

namespace envpin::cli {

inline constexpr int json_schema_version = 1;

inline void print_json(std::ostream& out, nlohmann::json document)
{
    if (document.is_object())
        document["schema_version"] = json_schema_version;
    out << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace envpin::cli
