#include "verify/vendor/shared_library.hpp"

#include <link.h>

namespace envpin::verify {

Expected<SharedLibrary> SharedLibrary::open(const std::string& name, int flags)
{
    ::dlerror();
    void* handle = ::dlopen(name.c_str(), flags);
    if (handle == nullptr) {
        const char* reason = ::dlerror();
        return fail(ErrorCode::not_found, "cannot load {}: {}", name,
                    reason != nullptr ? reason : "unknown loader error");
    }
    SharedLibrary library;
    library.handle_.reset(handle);
    return library;
}

std::string SharedLibrary::mapped_path() const
{
    link_map* map = nullptr;
    if (::dlinfo(handle_.get(), RTLD_DI_LINKMAP, static_cast<void*>(&map)) != 0 || map == nullptr ||
        map->l_name == nullptr)
        return {};
    return map->l_name;
}

}  // namespace envpin::verify
