#pragma once
// Whether this build runs under AddressSanitizer (the `asan` preset), for the few tests whose
// subject the sanitizer's own machinery takes over: an address-space limit (ASan reserves
// terabytes of shadow memory at start, so `ulimit -v` stops the process before envpin runs) and
// the LD_PRELOAD fault injector (ASan's runtime must be the first library loaded).
namespace envpin::test {

constexpr bool under_address_sanitizer()
{
#if defined(__SANITIZE_ADDRESS__)
    return true;
#else
    return false;
#endif
}

}  // namespace envpin::test

// Skips the test under AddressSanitizer, saying which of its mechanisms is in the way.
#define ENVPIN_SKIP_UNDER_ASAN(why)                                                            \
    do {                                                                                       \
        if (::envpin::test::under_address_sanitizer())                                         \
            GTEST_SKIP() << "under AddressSanitizer: " << (why);                              \
    } while (false)
