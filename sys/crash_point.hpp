#pragma once
// A test hook for crash tests: with ENVPIN_CRASH_AT="<point>:<n>" in the environment, the
// process kills itself with SIGKILL (exactly what kill -9 does) the n-th time it passes
// crash_point("<point>"). A crash test uses it to land a kill between two given steps of an
// operation, where a timed kill lands only by chance. Without the variable it does nothing.
#include <string_view>

namespace envpin::sys {

void crash_point(std::string_view point);

}  // namespace envpin::sys
