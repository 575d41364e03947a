// Metadata queries for the objects whose bytes were verified, and the stamp each had then.
#include "store/core/metadata.hpp"

namespace envpin::store {
namespace {

// Point lookups up to here; above, one scan of the table is cheaper.
constexpr size_t point_lookup_limit = 4096;

StatStamp stamp_from(const Statement& row, int first)
{
    return {0, static_cast<unsigned long long>(row.integer(first)), row.integer(first + 1), row.integer(first + 2),
            row.integer(first + 3)};
}

}  // namespace

Expected<VerifiedStamps> Metadata::verified_stamps(const std::vector<std::string>& objects)
{
    VerifiedStamps found;
    if (objects.size() > point_lookup_limit) {
        std::unordered_set<std::string_view> wanted(objects.begin(), objects.end());
        auto all = ENVPIN_TRY(database_.prepare("SELECT object, ino, size, mtime_ns, ctime_ns FROM verified_objects"));
        while (ENVPIN_TRY(all.step()))
            if (const auto object = all.text(0); wanted.contains(object))
                found.emplace(object, stamp_from(all, 1));
        return found;
    }
    auto one = ENVPIN_TRY(database_.prepare("SELECT ino, size, mtime_ns, ctime_ns FROM verified_objects WHERE object = ?"));
    for (const auto& object : objects) {
        one.bind(1, object);
        if (ENVPIN_TRY(one.step()))
            found.emplace(object, stamp_from(one, 0));
        one.reset();
    }
    return found;
}

Expected<void> Metadata::record_verified(const std::vector<std::pair<std::string, StatStamp>>& verified)
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "INSERT OR REPLACE INTO verified_objects (object, ino, size, mtime_ns, ctime_ns) VALUES (?, ?, ?, ?, ?)"));
    for (const auto& [object, stamp] : verified) {
        statement.bind(1, object).bind(2, static_cast<long long>(stamp.ino)).bind(3, stamp.size);
        statement.bind(4, stamp.mtime_ns).bind(5, stamp.ctime_ns);
        ENVPIN_TRY(statement.run());
        statement.reset();
    }
    return {};
}

}  // namespace envpin::store
