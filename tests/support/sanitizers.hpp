// Whether this test binary is built with AddressSanitizer. Tests of resident memory or
// address-space limits skip themselves there: ASan reserves terabytes of address space and keeps
// shadow memory and freed blocks in quarantine, so neither figure says anything about the
// simulator. They run in the plain builds (`make test-cpp`), which CI also runs.
#pragma once

namespace geodes::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace geodes::testing
