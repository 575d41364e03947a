// envpin.lock <-> Lock. The printer writes a fixed key order and omits absent values, so equal
// locks print byte-identically and parse(print(x)) == x.
#include <fmt/format.h>

#include <algorithm>

#include "resolver/lock.hpp"
#include "base/strings.hpp"
#include "resolver/lock_fields.hpp"
#include "resolver/toml_reader.hpp"
#include "resolver/toml_writer.hpp"

namespace envpin {
namespace {

using toml_read::Reader;
using toml_write::Writer;

void print_request(Writer& out, const LockRequest& request)
{
    out.table("request");
    out.string("torch", request.torch);
    out.string("cuda", request.cuda);
    out.nonempty_string("python", request.python);
    out.strings("companions", request.companions);
    out.boolean("native_only", request.native_only);
    if (!request.requirements.empty())
        out.strings("requirements", request.requirements);
}

void print_stack(Writer& out, const LockStack& stack, std::string_view prefix)
{
    out.table(fmt::format("{}stack", prefix));
    out.string("torch", stack.torch);
    out.string("variant", stack.variant);
    out.string_if("cuda", stack.cuda);
    out.string("python", stack.python);
    out.string("index_url", stack.index_url);
    out.string_if("cudnn", stack.cudnn);
    out.string_if("nccl", stack.nccl);
    out.string_if("triton", stack.triton);
}

void print_host(Writer& out, const LockHost& host, std::string_view prefix)
{
    out.table(fmt::format("{}host", prefix));
    out.string("compat", host.compat);
    out.string_if("min_driver", host.min_driver);
    out.string_if("native_driver", host.native_driver);
    out.strings("arch", host.arch);
}

Expected<LockRequest> parse_request(const Reader& reader, const toml::table& root)
{
    const auto* table = ENVPIN_TRY(reader.table(root, "request"));
    if (table == nullptr)
        return reader.error("missing [request]");
    ENVPIN_TRY(reader.only_keys(*table, "[request]",
                                {"torch", "cuda", "python", "companions", "native_only", "requirements"}));
    LockRequest request;
    request.torch = ENVPIN_TRY(reader.required_string(*table, "torch"));
    request.cuda = ENVPIN_TRY(reader.required_string(*table, "cuda"));
    request.python = ENVPIN_TRY(reader.string(*table, "python")).value_or("");
    request.companions = ENVPIN_TRY(reader.strings(*table, "companions"));
    request.native_only = ENVPIN_TRY(reader.boolean(*table, "native_only")).value_or(false);
    request.requirements = ENVPIN_TRY(reader.strings(*table, "requirements"));
    if (const auto wrong = lock_fields::check_request(request))
        return reader.error(*table, *wrong);
    return request;
}

Expected<LockStack> parse_stack(const Reader& reader, const toml::table& root, std::string_view prefix)
{
    const auto* table = ENVPIN_TRY(reader.table(root, "stack"));
    if (table == nullptr)
        return reader.error(fmt::format("missing [{}stack]", prefix));
    ENVPIN_TRY(reader.only_keys(
        *table, fmt::format("[{}stack]", prefix),
        {"torch", "variant", "cuda", "python", "index_url", "cudnn", "nccl", "triton"}));
    LockStack stack;
    stack.torch = ENVPIN_TRY(reader.required_string(*table, "torch"));
    if (!Version::parse(stack.torch))
        return reader.error(*table->get("torch"),
                            fmt::format("stack.torch \"{}\" is not a version", stack.torch));
    stack.variant = ENVPIN_TRY(reader.required_string(*table, "variant"));
    stack.cuda = ENVPIN_TRY(reader.string(*table, "cuda"));
    stack.python = ENVPIN_TRY(reader.required_string(*table, "python"));
    stack.index_url = ENVPIN_TRY(reader.required_string(*table, "index_url"));
    stack.cudnn = ENVPIN_TRY(reader.string(*table, "cudnn"));
    stack.nccl = ENVPIN_TRY(reader.string(*table, "nccl"));
    stack.triton = ENVPIN_TRY(reader.string(*table, "triton"));
    if (const auto wrong = lock_fields::check_stack(stack))
        return reader.error(*table, *wrong);
    return stack;
}

Expected<std::optional<std::string>> driver_at(const Reader& reader, const toml::table& table,
                                               std::string_view key)
{
    auto driver = ENVPIN_TRY(reader.string(table, key));
    if (driver && !DriverVersion::parse(*driver))
        return reader.error(*table.get(key),
                            fmt::format("host.{} \"{}\" is not a driver version", key, *driver));
    return driver;
}

Expected<LockHost> parse_host(const Reader& reader, const toml::table& root, std::string_view prefix)
{
    const auto* table = ENVPIN_TRY(reader.table(root, "host"));
    if (table == nullptr)
        return reader.error(fmt::format("missing [{}host]", prefix));
    ENVPIN_TRY(
        reader.only_keys(*table, fmt::format("[{}host]", prefix), {"compat", "min_driver", "native_driver", "arch"}));
    LockHost host;
    host.compat = ENVPIN_TRY(reader.required_string(*table, "compat"));
    if (host.compat != "native" && host.compat != "minor-version" && host.compat != "none")
        return reader.error(*table->get("compat"),
                            "host.compat must be \"native\", \"minor-version\" or \"none\"");
    host.min_driver = ENVPIN_TRY(driver_at(reader, *table, "min_driver"));
    host.native_driver = ENVPIN_TRY(driver_at(reader, *table, "native_driver"));
    host.arch = ENVPIN_TRY(reader.strings(*table, "arch"));
    for (const auto& target : host.arch)
        if (!parse_arch_target(target))
            return reader.error(
                *table->get("arch"),
                fmt::format("\"{}\" is not an arch target (sm_XY or compute_XY)", target));
    return host;
}

// [[key]] tables whose fields are all required strings, in `fields` order, each checked to its
// grammar by `check`; the first field names an entry, which may appear once.
template <class T>
Expected<std::vector<T>>
parse_records(const Reader& reader, const toml::table& root, std::string_view prefix, std::string_view key,
              std::initializer_list<std::string_view> fields, T (*make)(std::vector<std::string>&&),
              std::optional<std::string> (*check)(const T&))
{
    std::vector<T> records;
    std::vector<std::string> seen;
    for (const auto* table : ENVPIN_TRY(reader.tables(root, key))) {
        ENVPIN_TRY(reader.only_keys(*table, fmt::format("[[{}{}]]", prefix, key), fields));
        std::vector<std::string> values;
        for (auto field : fields)
            values.push_back(ENVPIN_TRY(reader.required_string(*table, field)));
        const auto identity = values.front() + "\n" + (key == "pin" ? values[1] : std::string());
        if (std::ranges::find(seen, identity) != seen.end())
            return reader.error(*table, fmt::format("[[{}{}]] {} appears twice", prefix, key, values.front()));
        seen.push_back(identity);
        records.push_back(make(std::move(values)));
        if (const auto wrong = check(records.back()))
            return reader.error(*table, fmt::format("[[{}{}]]: {}", prefix, key, *wrong));
    }
    return records;
}

LockPackage make_package(std::vector<std::string>&& v)
{
    return {std::move(v[0]), std::move(v[1]), std::move(v[2])};
}

LockPin make_pin(std::vector<std::string>&& v)
{
    return {std::move(v[0]), std::move(v[1]), std::move(v[2]), std::move(v[3]), std::move(v[4])};
}

InstalledDistribution make_installed(std::vector<std::string>&& v)
{
    return {std::move(v[0]), std::move(v[1]), std::move(v[2]), std::move(v[3])};
}

// A section's own tables, under `prefix` ("" or "target."): stack, host and the records.
void print_section(Writer& out, const Lock& lock, std::string_view prefix)
{
    print_stack(out, lock.stack, prefix);
    print_host(out, lock.host, prefix);
    for (const auto& package : lock.packages) {
        out.array_table(fmt::format("{}package", prefix));
        out.string("name", package.name);
        out.string("version", package.version);
        out.string("index", package.index);
    }
    for (const auto& pin : lock.pins) {
        out.array_table(fmt::format("{}pin", prefix));
        out.string("role", pin.role);
        out.string("name", pin.name);
        out.string("version", pin.version);
        out.string("kind", pin.kind);
        out.string("evidence", pin.evidence);
    }
    for (const auto& installed : lock.installed) {
        out.array_table(fmt::format("{}installed", prefix));
        out.string("name", installed.name);
        out.string("version", installed.version);
        out.string("source", installed.source);
        out.string("sha256", installed.sha256);
    }
}

void print_target(Writer& out, const Target& target)
{
    out.array_table("target");
    out.string("name", target.name);
    out.nonempty_string("driver", target.driver);
    out.strings("gpus", target.gpus);
    out.nonempty_string("cuda", target.cuda);
    out.nonempty_string("python", target.python);
}

void print_made_for(Writer& out, const MadeFor& made_for)
{
    out.table("made_for");
    out.string_if("driver", made_for.driver);
    out.strings("gpus", made_for.gpus);
    out.nonempty_string("python3", made_for.python3);
}

Expected<Lock> parse_section(const Reader& reader, const toml::table& root, std::string_view prefix, Lock lock)
{
    lock.stack = ENVPIN_TRY(parse_stack(reader, root, prefix));
    lock.host = ENVPIN_TRY(parse_host(reader, root, prefix));
    lock.packages = ENVPIN_TRY(parse_records<LockPackage>(reader, root, prefix, "package", {"name", "version", "index"},
                                                          make_package, lock_fields::check_package));
    lock.pins = ENVPIN_TRY(parse_records<LockPin>(reader, root, prefix, "pin",
                                                  {"role", "name", "version", "kind", "evidence"}, make_pin,
                                                  lock_fields::check_pin));
    lock.installed = ENVPIN_TRY(parse_records<InstalledDistribution>(
        reader, root, prefix, "installed", {"name", "version", "source", "sha256"}, make_installed,
        lock_fields::check_installed));
    return lock;
}

Expected<Target> parse_target(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[[target]]",
                                {"name", "driver", "gpus", "cuda", "python", "stack", "host", "package", "pin",
                                 "installed"}));
    Target target;
    target.name = ENVPIN_TRY(reader.required_string(table, "name"));
    target.driver = ENVPIN_TRY(reader.string(table, "driver")).value_or("");
    target.gpus = ENVPIN_TRY(reader.strings(table, "gpus"));
    target.cuda = ENVPIN_TRY(reader.string(table, "cuda")).value_or("");
    target.python = ENVPIN_TRY(reader.string(table, "python")).value_or("");
    if (const auto wrong = lock_fields::check_target(target))
        return reader.error(table, *wrong);
    return target;
}

Expected<MadeFor> parse_made_for(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[made_for]", {"driver", "gpus", "python3"}));
    MadeFor made_for;
    made_for.driver = ENVPIN_TRY(driver_at(reader, table, "driver"));
    made_for.gpus = ENVPIN_TRY(reader.strings(table, "gpus"));
    made_for.python3 = ENVPIN_TRY(reader.string(table, "python3")).value_or("");
    if (const auto wrong = lock_fields::check_made_for(made_for))
        return reader.error(table, *wrong);
    return made_for;
}

Expected<std::vector<Lock>> parse_targets(const Reader& reader, const toml::table& root, const Lock& shared)
{
    std::vector<Lock> sections;
    for (const auto* table : ENVPIN_TRY(reader.tables(root, "target"))) {
        Lock section = shared;
        section.target = ENVPIN_TRY(parse_target(reader, *table));
        for (const auto& other : sections)
            if (other.target->name == section.target->name)
                return reader.error(*table, fmt::format("[[target]] {} appears twice", section.target->name));
        sections.push_back(ENVPIN_TRY(parse_section(reader, *table, "target.", std::move(section))));
        if (const auto wrong = lock_fields::check_target_section(sections.back()))
            return reader.error(*table, *wrong);
    }
    return sections;
}

} // namespace

std::string print_lock_file(const LockFile& file)
{
    Writer out;
    out.comment("envpin.lock: the stack resolved by `envpin lock` or `envpin create`. Generated; "
                "do not edit.");
    out.comment(
        "`envpin lock --check` says whether it is still current; `envpin create` installs it.");
    if (file.sections.empty())
        return out.text();
    const auto& first = file.sections.front();
    if (!file.targeted() && first.made_for)
        out.comment("No [[target]] in envpin.toml: this lock is for the host in [made_for], which made it.");
    out.integer("version", first.version);
    print_request(out, first.request);
    if (file.targeted()) {
        for (const auto& section : file.sections) {
            print_target(out, *section.target);
            print_section(out, section, "target.");
        }
        return out.text();
    }
    if (first.made_for)
        print_made_for(out, *first.made_for);
    print_section(out, first, "");
    return out.text();
}

std::string print_lock(const Lock& lock)
{
    return print_lock_file(LockFile{{lock}});
}

Expected<LockFile> parse_lock_file(std::string_view text, std::string_view origin)
{
    const Reader reader{origin};
    const auto root = ENVPIN_TRY(reader.parse(text));
    const auto version = ENVPIN_TRY(reader.integer(root, "version"));
    if (!version)
        return reader.error("missing 'version' (the lock format version, an integer)");
    if (*version != Lock::k_version && *version != 1)
        return reader.error(*root.get("version"),
                            fmt::format("unknown lock version {} (this envpin reads versions 1 and {})",
                                        *version, Lock::k_version));
    Lock shared;
    shared.version = static_cast<int>(*version);
    shared.request = ENVPIN_TRY(parse_request(reader, root));
    if (root.contains("target")) {
        ENVPIN_TRY(reader.only_keys(root, "a lock with targets", {"version", "request", "target"}));
        auto sections = ENVPIN_TRY(parse_targets(reader, root, shared));
        if (sections.empty())
            return reader.error("'target' holds no [[target]] tables");
        return LockFile{std::move(sections)};
    }
    ENVPIN_TRY(reader.only_keys(root, "the lock",
                                {"version", "request", "made_for", "stack", "host", "package", "pin", "installed"}));
    if (const auto* made_for = ENVPIN_TRY(reader.table(root, "made_for")))
        shared.made_for = ENVPIN_TRY(parse_made_for(reader, *made_for));
    return LockFile{{ENVPIN_TRY(parse_section(reader, root, "", std::move(shared)))}};
}

Expected<Lock> parse_lock(std::string_view text, std::string_view origin)
{
    auto file = ENVPIN_TRY(parse_lock_file(text, origin));
    if (file.targeted())
        return fail(ErrorCode::bad_input, "{} has targets ({}): expected a lock without [[target]] sections here",
                    origin, join(file.target_names(), ", "));
    return std::move(file.sections.front());
}

} // namespace envpin
