#include "kernels/kernels.hpp"

namespace envpin::kernels {
namespace detail {
const unsigned char* fatbin_begin();
const unsigned char* fatbin_end();
const char* arch_string();
}  // namespace detail

std::span<const unsigned char> fatbin()
{
    const unsigned char* begin = detail::fatbin_begin();
    if (begin == nullptr)
        return {};
    return {begin, static_cast<size_t>(detail::fatbin_end() - begin)};
}

bool built()
{
    return !fatbin().empty();
}

std::string_view architectures()
{
    return detail::arch_string();
}

}  // namespace envpin::kernels
