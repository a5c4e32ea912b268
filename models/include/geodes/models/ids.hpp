// Strong ids for the domain's entities. Ids are dense indexes assigned in creation order, so they
// can index vectors and their order is deterministic.
#pragma once

#include <compare>
#include <cstdint>

namespace geodes::models {

/// A datacenter, by creation order in its Topology.
struct DcId {
  std::uint32_t value = 0;
  constexpr auto operator<=>(const DcId&) const =
      default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
};

/// A link, by creation order in its Topology.
struct LinkId {
  std::uint32_t value = 0;
  constexpr auto operator<=>(const LinkId&) const =
      default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
};

/// A data class, by its index in the scenario's list of data classes.
struct DataClassId {
  std::uint32_t value = 0;
  constexpr auto operator<=>(const DataClassId&) const = default;
};

}  // namespace geodes::models
