#include <gtest/gtest.h>

#include <cstdlib>

#include "base/settings.hpp"

namespace envpin {
namespace {

constexpr NumberSetting copies{"ENVPIN_TEST_SETTING", 4, 0, 16, "copies"};

class SettingTest : public ::testing::Test {
protected:
    void TearDown() override { ::unsetenv("ENVPIN_TEST_SETTING"); }
};

TEST_F(SettingTest, UnsetOrEmptyIsTheFallback)
{
    ::unsetenv("ENVPIN_TEST_SETTING");
    EXPECT_EQ(read_setting(copies).value(), 4);
    ::setenv("ENVPIN_TEST_SETTING", "", 1);
    EXPECT_EQ(read_setting(copies).value(), 4);
}

TEST_F(SettingTest, AWholeNumberInRangeIsTaken)
{
    for (const auto& [text, value] : {std::pair{"0", 0LL}, {"16", 16LL}, {"7", 7LL}}) {
        ::setenv("ENVPIN_TEST_SETTING", text, 1);
        EXPECT_EQ(read_setting(copies).value(), value) << text;
        EXPECT_EQ(setting_or_fallback(copies), value) << text;
    }
}

TEST_F(SettingTest, AnythingElseIsRefusedNamingTheVariableAndItsRange)
{
    for (const char* text : {"-1", "17", "abc", "4x", " 4", "1e3", "99999999999999999999999"}) {
        ::setenv("ENVPIN_TEST_SETTING", text, 1);
        const auto value = read_setting(copies);
        ASSERT_FALSE(value) << text;
        EXPECT_EQ(value.error().code, ErrorCode::bad_input);
        EXPECT_EQ(value.error().message,
                  fmt::format("ENVPIN_TEST_SETTING is '{}': expected a whole number of copies from 0 to 16 (unset: 4)", text));
        EXPECT_EQ(setting_or_fallback(copies), 4) << text;
    }
}

}  // namespace
}  // namespace envpin
