// The reset journal's payload: what recovery reads after a crash must be what reset wrote,
// and payloads written before a field existed still parse.
#include <gtest/gtest.h>

#include "store/lifecycle/reset_journal.hpp"

namespace envpin::store {
namespace {

ResetJournal sample()
{
    ResetJournal journal;
    journal.environment = "/work/.venv";
    journal.staging = "/work/.venv.envpin-reset";
    journal.aside = "/work/.venv.envpin-aside";
    journal.staging_inode = 1234567;
    journal.old_tree = "/work/.venv.envpin-reset";
    journal.from = 7;
    journal.target = 3;
    journal.keep_old = true;
    journal.kept = "/work/.venv.envpin-old-7";
    journal.swapped_ns = 1795837222423655406LL;
    return journal;
}

TEST(ResetJournal, RoundTrips)
{
    const auto parsed = parse_reset_journal(print_reset_journal(sample()));
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(*parsed, sample());
}

TEST(ResetJournal, APayloadWithoutTheExchangeTimeTrustsNoRestoredFile)
{
    const auto parsed = parse_reset_journal(
        R"({"environment":"/e","staging":"/e.s","aside":"/e.a","from":2,"target":1,"staging_inode":null})");
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(parsed->swapped_ns, 0);
    EXPECT_FALSE(parsed->staging_inode);
}

TEST(ResetJournal, RefusesWhatIsNotAJournal)
{
    for (const char* bad : {"", "[]", "{", R"({"environment":"/e"})", R"({"environment":"","staging":"/s","aside":"/a","from":1,"target":2})"})
        EXPECT_FALSE(parse_reset_journal(bad)) << bad;
}

}  // namespace
}  // namespace envpin::store
