// Quantities with units, as scenarios write them: "30ms", "10m", "5k/s", "1Gbps", "4KiB".
//
// Every parser accepts a number (integer, decimal or exponent form, optional SI multiplier k/M/G
// where it makes sense) followed by a unit, with no space required. Errors throw UnitError naming
// the bad text and listing the allowed units. Results are in base units: nanoseconds, bytes, bytes
// per second, events per second.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "geodes/sim/error.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::sim {

/// The kind of quantity a text denotes.
enum class Unit {
  kNone,       ///< a plain number ("0.5", "1e-3", "2k")
  kTime,       ///< a duration: ns, us, ms, s, m (or min), h, d; base unit ns
  kBytes,      ///< a size: B, KB (or kB)/MB/GB/TB (1000^n), KiB/MiB/GiB/TiB (1024^n); base bytes
  kBandwidth,  ///< bits: bps, kbps, Mbps, Gbps, Tbps (divided by 8), or bytes: B/s, KB/s (kB/s),
               ///< MB/s, GB/s, TB/s, KiB/s, MiB/s, GiB/s; base unit bytes per second
  kRate,       ///< events per time: [k|M|G]/ns|us|ms|s|m|min|h|d, e.g. "5/s", "5k/s", "300/min";
               ///< base unit 1/s
};

/// Bad text for a quantity. `what()` is a complete sentence for a user.
class UnitError : public InvalidArgument {
 public:
  explicit UnitError(const std::string& what) : InvalidArgument(what) {}
};

/// Human-readable list of what `unit` accepts, for error messages ("a duration such as 30ms ...").
std::string describe(Unit unit);

/// Parses `text` as a quantity of kind `unit`, returned in base units. Whitespace is allowed
/// around the text and between number and unit; units are case-sensitive ("m" is minutes, "M" is
/// mega). Only kNone may be negative; kTime must also be below 2^63 ns. Throws UnitError for empty
/// text, a missing or unknown unit, a negative value, inf/nan, trailing text or overflow.
double parse_quantity(std::string_view text, Unit unit);
/// parse_quantity(text, kTime) rounded to whole nanoseconds. Throws UnitError.
Duration parse_duration(std::string_view text);

}  // namespace geodes::sim
