#pragma once
// One dlopen'ed shared library; the only place verify calls dlopen/dlclose.
#include <dlfcn.h>

#include <memory>
#include <string>

#include "base/error.hpp"

namespace envpin::verify {

class SharedLibrary {
public:
    // Opens `name` (a soname such as "libcuda.so.1" or a path). not_found with dlerror()'s
    // text when the loader cannot find or load it.
    [[nodiscard]] static Expected<SharedLibrary> open(const std::string& name, int flags = RTLD_NOW | RTLD_LOCAL);

    // Resolves a symbol into a typed function pointer; nullptr when absent.
    template <class Function>
    [[nodiscard]] Function symbol(const char* name) const
    {
        return reinterpret_cast<Function>(::dlsym(handle_.get(), name));
    }
    [[nodiscard]] void* raw() const { return handle_.get(); }
    // The file the loader actually mapped (dlinfo / link map), for reports.
    [[nodiscard]] std::string mapped_path() const;

private:
    struct Closer {
        void operator()(void* handle) const
        {
            if (handle != nullptr)
                ::dlclose(handle);
        }
    };
    std::unique_ptr<void, Closer> handle_;
};

}  // namespace envpin::verify
