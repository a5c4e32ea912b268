// Transparent huge pages for the big per-key tables.
//
// Why: the tables of rows, committed versions and users are probed at random, a few times per
// op, and at production sizes (millions of keys) they are hundreds of MiB. With 4 KiB pages
// nearly every such probe misses the TLB as well as the cache, and the page walk costs further
// misses (more so in a virtual machine, where walks are two-dimensional). Backing the tables by
// 2 MiB pages removes most of the walks: the production-size scenario ran about 15% faster in CPU
// time with every anonymous mapping on huge pages (measured on the development machine,
// docs/performance.md).
//
// Cost: memory is made resident 2 MiB at a time, so a table touched only in part may hold up to
// 2 MiB more than it uses. Only ranges of at least kHugePageMinBytes are advised.
#pragma once

#include <cstddef>

namespace geodes::models {

/// Ranges smaller than this are not advised: their last partial huge page would cost more than
/// the walks it saves.
inline constexpr std::size_t kHugePageMinBytes = std::size_t{8} << 20;

/// Asks the kernel to back the 2 MiB-aligned part of [p, p + bytes) by transparent huge pages
/// (madvise MADV_HUGEPAGE) when bytes >= kHugePageMinBytes. A hint only: contents are unchanged,
/// and where the kernel refuses (no THP, "never", another OS) nothing happens.
void advise_huge_pages(void* p, std::size_t bytes);

}  // namespace geodes::models
