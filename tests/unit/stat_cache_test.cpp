// The stat cache's packed form and merge, on values; and the catalog storing it in a real
// SQLite file, including a database migrated from the row-per-file schema.
#include <gtest/gtest.h>

#include <algorithm>

#include "store/core/metadata.hpp"
#include "store/core/digest.hpp"
#include "store/core/stat_cache.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::store {
namespace {

CachedFile file(std::string path, long long size, long long mtime_ns = 1'700'000'000'123'456'789LL)
{
    return {std::move(path), CachedHash{{2049, 1'000'000'007ULL + static_cast<unsigned long long>(size), size,
                                         mtime_ns, mtime_ns + 5},
                                        sha256_of("content of " + std::to_string(size))}};
}

StatCache sample()
{
    return {file("bin/python", 0), file("lib/python3.12/site-packages/torch/__init__.py", 12345),
            file("lib/python3.12/site-packages/torch/lib/libtorch_cuda.so", 456'142'457),
            file("lib/python3.12/site-packages/torch/nn/modules/conv.py", 70000, -3),
            file("lib/python3.12/site-packages/torch/nn/modules/conv.pyc", 1LL << 40, 0),
            file("z\xc3\xa9\xff", 7, -(1LL << 62))};
}

TEST(StatCachePacking, RoundTripsEveryFieldAndSharesPrefixes)
{
    const auto cache = sample();
    const auto packed = pack_stat_cache(cache);
    const auto unpacked = unpack_stat_cache(packed, static_cast<long long>(cache.size()));
    ASSERT_TRUE(unpacked) << unpacked.error().describe();
    EXPECT_EQ(*unpacked, cache);
    size_t path_bytes = 0;
    for (const auto& entry : cache)
        path_bytes += entry.path.size();
    EXPECT_LT(packed.size(), path_bytes + cache.size() * (32 + 5 * 10));  // front coding saved bytes
    EXPECT_TRUE(unpack_stat_cache("", 0).value().empty());
}

TEST(StatCachePacking, RefusesTruncatedGarbledAndMiscountedBytes)
{
    const auto cache = sample();
    const auto packed = pack_stat_cache(cache);
    const auto count = static_cast<long long>(cache.size());
    for (size_t cut : {size_t{1}, size_t{33}, packed.size() / 2, packed.size() - 1}) {
        const auto truncated = unpack_stat_cache(std::string_view(packed).substr(0, cut), count);
        ASSERT_FALSE(truncated) << "cut at " << cut;
        EXPECT_EQ(truncated.error().code, ErrorCode::corrupt);
    }
    EXPECT_FALSE(unpack_stat_cache(packed, count - 1));  // bytes left over
    EXPECT_FALSE(unpack_stat_cache(packed, count + 1));
    EXPECT_FALSE(unpack_stat_cache(packed, -1));
    EXPECT_FALSE(unpack_stat_cache(packed, 1LL << 40));  // a count the bytes cannot hold
    auto shared_too_long = packed;
    shared_too_long[0] = 5;  // the first path shares 5 bytes with nothing
    EXPECT_FALSE(unpack_stat_cache(shared_too_long, count));
    const auto unsorted = pack_stat_cache({file("b", 1), file("a", 2)});
    const auto refused = unpack_stat_cache(unsorted, 2);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("out of path order"), std::string::npos);
}

TEST(StatCacheMerge, UpsertsReplaceOrInsertAndRemovalsDrop)
{
    const StatCache base{file("a", 1), file("c", 3), file("e", 5)};
    const auto merged = merge_stat_cache(base, {file("b", 20), file("c", 30), file("f", 60)}, {"a", "e", "x"});
    EXPECT_EQ(merged, (StatCache{file("b", 20), file("c", 30), file("f", 60)}));
    EXPECT_EQ(merge_stat_cache(base, {}, {}), base);
    EXPECT_EQ(merge_stat_cache({}, base, {}), base);
}

TEST(StatCacheMatch, NeedsTheWholeStampUnlessTheRowTakesAnyCtime)
{
    const StatStamp seen{2049, 77, 100, 1'700'000'000'000'000'000LL, 1'700'000'000'500'000'000LL};
    auto row = seen;
    EXPECT_TRUE(stamp_matches(row, seen));
    row.ctime_ns += 1;
    EXPECT_FALSE(stamp_matches(row, seen));  // a chmod, a link, or a write with the mtime put back
    row.ctime_ns = any_ctime;
    EXPECT_TRUE(stamp_matches(row, seen));
    for (auto change : {&StatStamp::ino, &StatStamp::dev}) {
        auto other = row;
        other.*change += 1;
        EXPECT_FALSE(stamp_matches(other, seen));
    }
    auto resized = row;
    resized.size += 1;
    EXPECT_FALSE(stamp_matches(resized, seen));
    auto touched = row;
    touched.mtime_ns += 1;
    EXPECT_FALSE(stamp_matches(touched, seen));
}

TEST(StatCacheCatalog, StoresOnePackedValuePerEnvironmentAndMerges)
{
    test::TempDir dir;
    auto catalog = Metadata::open(dir / "envpin.db", OpenMode::create).value();
    const auto first = catalog.insert_environment({0, "a", "/x/a", LinkMode::copy, utc_now(), std::nullopt}).value();
    const auto second = catalog.insert_environment({0, "b", "/x/b", LinkMode::copy, utc_now(), std::nullopt}).value();
    EXPECT_TRUE(catalog.load_stat_cache(first).value().empty());
    ASSERT_TRUE(catalog.replace_stat_cache(first, sample()));
    ASSERT_TRUE(catalog.replace_stat_cache(second, {file("only", 9)}));
    EXPECT_EQ(catalog.load_stat_cache(first).value(), sample());
    ASSERT_TRUE(catalog.replace_stat_cache(
        second, merge_stat_cache(catalog.load_stat_cache(second).value(), {file("new", 4)}, {"only"})));
    EXPECT_EQ(catalog.load_stat_cache(second).value(), StatCache{file("new", 4)});
    EXPECT_EQ(catalog.load_stat_cache(first).value(), sample());
}

TEST(StatCacheCatalog, ADamagedValueReadsAsEmpty)
{
    test::TempDir dir;
    auto catalog = Metadata::open(dir / "envpin.db", OpenMode::create).value();
    const auto env = catalog.insert_environment({0, "a", "/x/a", LinkMode::copy, utc_now(), std::nullopt}).value();
    ASSERT_TRUE(catalog.replace_stat_cache(env, sample()));
    ASSERT_TRUE(catalog.database().exec("UPDATE stat_caches SET packed = substr(packed, 1, 40)"));
    const auto loaded = catalog.load_stat_cache(env);
    ASSERT_TRUE(loaded) << loaded.error().describe();
    EXPECT_TRUE(loaded->empty());
}

TEST(StatCacheOverlay, ADiffAppliedAsAnOverlayGivesTheNewCache)
{
    const auto before = sample();
    auto after = sample();
    after.erase(after.begin() + 1);                                  // a file gone
    after[1].hash.stamp.ctime_ns += 1;                               // a file touched
    after.insert(after.begin() + 2, file("lib/python3.12/site-packages/torch/new.py", 3));  // a file added
    const auto delta = diff_stat_cache(before, after);
    EXPECT_EQ(delta.removed, std::vector<std::string>{"lib/python3.12/site-packages/torch/__init__.py"});
    EXPECT_EQ(delta.upserts.size(), 2u);
    const auto overlay = add_to_overlay({}, delta);
    EXPECT_EQ(overlay.size(), 3u);
    EXPECT_EQ(apply_overlay(before, overlay), after);
    // A later change of the same path replaces its overlay row; a path put back is a row again.
    StatCacheDelta back{{before[1]}, {}};
    const auto again = add_to_overlay(overlay, back);
    EXPECT_EQ(again.size(), 3u);
    auto expected = after;
    expected.insert(expected.begin() + 1, before[1]);
    EXPECT_EQ(apply_overlay(before, again), expected);
}

TEST(StatCacheOverlay, SmallUpdatesGoToTheOverlayAndLargeOnesAreFolded)
{
    test::TempDir dir;
    auto metadata = Metadata::open(dir / "envpin.db", OpenMode::create).value();
    const auto env = metadata.insert_environment({0, "a", "/x/a", LinkMode::copy, utc_now(), std::nullopt}).value();
    ASSERT_TRUE(metadata.replace_stat_cache(env, sample()));
    auto changed = sample();
    changed.pop_back();
    ASSERT_TRUE(metadata.update_stat_cache(env, diff_stat_cache(sample(), changed)));
    EXPECT_EQ(metadata.load_stat_cache(env).value(), changed);
    auto packed_size = [&] {
        auto statement = metadata.database().prepare("SELECT entries FROM stat_caches WHERE environment_id = 1").value();
        EXPECT_TRUE(statement.step().value());
        return statement.integer(0);
    };
    EXPECT_EQ(packed_size(), static_cast<long long>(sample().size()));  // the value was not rewritten
    StatCache many = changed;
    for (size_t i = 0; i < stat_cache_overlay_limit + 10; ++i)
        many.push_back(file("zz/" + std::to_string(1000000 + i), static_cast<long long>(i)));
    std::ranges::sort(many, {}, &CachedFile::path);
    ASSERT_TRUE(metadata.update_stat_cache(env, diff_stat_cache(changed, many)));
    EXPECT_EQ(metadata.load_stat_cache(env).value(), many);
    EXPECT_EQ(packed_size(), static_cast<long long>(many.size()));  // folded into the value
}

TEST(StatCacheCatalog, ADatabaseWithPerFileRowsMigratesAndKeepsItsEnvironments)
{
    test::TempDir dir;
    {
        auto catalog = Metadata::open(dir / "envpin.db", OpenMode::create).value();
        ASSERT_TRUE(catalog.insert_environment({0, "kept", "/x/kept", LinkMode::copy, utc_now(), std::nullopt}));
        // Back to schema 1's shape: the per-file table, with a row in it, runs without contexts, no later tables.
        ASSERT_TRUE(catalog.database().exec(R"sql(
ALTER TABLE verify_runs DROP COLUMN context;
DROP TABLE stat_caches;
DROP TABLE detaches;
DROP TABLE damaged_objects;
DROP TABLE stat_cache_overlays;
DROP TABLE verified_objects;
DROP TABLE pruned_commits;
ALTER TABLE environments DROP COLUMN forgotten;
CREATE TABLE stat_cache (
  environment_id INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  path BLOB NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, sha256 BLOB NOT NULL,
  PRIMARY KEY (environment_id, path)) WITHOUT ROWID;
INSERT INTO stat_cache VALUES (1, 'bin/python', 1, 2, 3, 4, 5, zeroblob(32));
PRAGMA user_version = 1;
)sql"));
    }
    auto migrated = Metadata::open(dir / "envpin.db", OpenMode::read_write);
    ASSERT_TRUE(migrated) << migrated.error().describe();
    EXPECT_EQ(migrated->database().user_version().value(), schema_version);
    const auto kept = migrated->find_environment("kept").value();
    ASSERT_TRUE(kept);
    EXPECT_TRUE(migrated->load_stat_cache(kept->id).value().empty());
    ASSERT_TRUE(migrated->replace_stat_cache(kept->id, {file("bin/python", 3)}));
    EXPECT_EQ(migrated->load_stat_cache(kept->id).value().size(), 1u);
}

}  // namespace
}  // namespace envpin::store
