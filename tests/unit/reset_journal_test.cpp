// The reset journal's payload: what recovery reads after a crash must be what reset wrote, and
// a payload of another format is refused (recovery then sets its staging aside, deleting nothing).
#include <gtest/gtest.h>

#include "store/lifecycle/reset_journal.hpp"

namespace envpin::store {
namespace {

ResetJournal sample()
{
    ResetJournal journal;
    journal.environment = "/work/.venv";
    journal.staging = "/work/..venv.envpin-reset-Ab3xYz";
    journal.from = 7;
    journal.target = 3;
    journal.keep_old = true;
    journal.kept = "/work/.venv.envpin-old-7";
    journal.ops = {{ResetStep::replace, "lib/python3.12/site-packages/torch", 0, 0, 1234567},
                   {ResetStep::add, "bin/torchrun", 0, 0, 99},
                   {ResetStep::remove, "lib/python3.12/site-packages/torch-2.12.0.dist-info"},
                   {ResetStep::chmod, "include", 0700, 0755}};
    return journal;
}

TEST(ResetJournal, RoundTrips)
{
    const auto parsed = parse_reset_journal(print_reset_journal(sample()));
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(*parsed, sample());
}

TEST(ResetJournal, RefusesWhatIsNotAJournalOfThisFormat)
{
    for (const char* bad : {"", "[]", "{", R"({"environment":"/e"})",
                            R"({"format":2,"environment":"","staging":"/s","from":1,"target":2,"ops":[]})",
                            R"({"format":2,"environment":"/e","staging":"/s","from":1,"target":2,"ops":[{"step":"move","path":"a"}]})",
                            // the whole-tree journal of earlier versions
                            R"({"environment":"/e","staging":"/e.s","aside":"/e.a","from":2,"target":1,"staging_inode":null})"})
        EXPECT_FALSE(parse_reset_journal(bad)) << bad;
}

TEST(ResetJournal, StagedAndAsideNamesDiffer)
{
    EXPECT_EQ(staged_name(12), "12");
    EXPECT_EQ(aside_name(12), "12.old");
}

}  // namespace
}  // namespace envpin::store
