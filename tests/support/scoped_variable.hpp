#pragma once
// Sets an environment variable for one scope, then puts back what was there (for tests that
// read the process's own environment).
#include <cstdlib>
#include <optional>
#include <string>

namespace envpin::test {

class ScopedVariable {
public:
    // `value` nullptr: unset for the scope.
    ScopedVariable(const char* name, const char* value) : name_(name)
    {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value != nullptr)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedVariable()
    {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    ScopedVariable(const ScopedVariable&) = delete;
    ScopedVariable& operator=(const ScopedVariable&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace envpin::test
