// When a business's operations arrive: a Poisson process whose rate may vary with the time of day
// (diurnal curve) and jump during bursts (DESIGN.md "Workload": rates constant, diurnal, bursts).
//
// Rate at time t (per second):  rate_per_s * diurnal(t) * (product of the multipliers of the
// bursts that contain t). Time 0 is midnight of day one; the curve repeats every `period`.
//   flat        diurnal(t) = 1.
//   sinusoidal  diurnal(t) = 1 + amplitude * cos(2 pi (t - peak) / period): mean 1 over a period,
//               highest at `peak` (a time of day), lowest half a period later.
//   piecewise   `factors` cut the period into equal pieces (24 factors = hourly); piece i is
//               [floor(i P / K), floor((i + 1) P / K)) in integer ns, with diurnal = factors[i].
//
// Algorithm (part of the determinism contract): thinning (Lewis and Shedler 1979) over pieces. The
// time axis is cut at every burst boundary and, for piecewise curves, every piece boundary; on a
// piece the rate is bounded by `bound` (the exact rate when it is constant there, else
// rate * multiplier * (1 + amplitude)). From t, a candidate t + Exp(bound) is drawn
// (z * (1e9 / bound) ns, rounded to whole ns, z = sim::standard_exponential(rng), the ziggurat of
// distribution.hpp); if it falls beyond the piece's end, the process restarts from the end (exact,
// by memorylessness); otherwise it is accepted with probability rate(candidate) / bound, using one
// uniform01() draw, which is skipped when the bound is exact. So a constant-rate piece costs one
// draw per arrival (rarely more: the ziggurat's rejections).
//
// Thread safety: none needed; an ArrivalProcess is immutable and draws from the caller's stream.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "geodes/sim/rng.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

enum class DiurnalShape : std::uint8_t { kFlat, kSinusoidal, kPiecewise };

struct DiurnalParams {
  DiurnalShape shape = DiurnalShape::kFlat;
  /// sinusoidal: relative swing in [0, 1] (0.5: the peak is 3x the trough).
  double amplitude = 0.5;
  /// sinusoidal: time of day of the peak, in [0, period).
  sim::Duration peak{20LL * 3'600'000'000'000};  // 20:00
  /// The length of one cycle (a day).
  sim::Duration period{24LL * 3'600'000'000'000};
  /// piecewise: factors >= 0 over equal pieces of the period (not normalised).
  std::vector<double> factors;
};

/// The rate is multiplied by `multiplier` on [start, start + length).
struct Burst {
  sim::Time start;
  sim::Duration length;
  double multiplier = 1;
};

struct ArrivalParams {
  /// Mean rate per second before the diurnal factor and bursts; 0 means no arrivals.
  double rate_per_s = 0;
  DiurnalParams diurnal;
  /// Bursts may overlap (their multipliers multiply).
  std::vector<Burst> bursts;
};

class ArrivalProcess {
 public:
  /// Throws InvalidArgument, with `where` (e.g. "business 'login': ") leading the message, on a
  /// negative or non-finite rate; an amplitude outside [0, 1]; a period <= 0; a peak outside
  /// [0, period); piecewise without factors, with more factors than ns in a period, or a factor
  /// < 0 or not finite; a burst with start < 0, length <= 0, or a multiplier < 0 or not finite.
  explicit ArrivalProcess(const ArrivalParams& params, const std::string& where = "");

  /// The instantaneous rate at t, per second.
  [[nodiscard]] double rate_at(sim::Time t) const;
  /// The expected number of arrivals in [from, to): the integral of rate_at (closed form).
  [[nodiscard]] double expected_count(sim::Time from, sim::Time to) const;
  /// The first arrival at or after `after` (two arrivals may share a ns at very high rates),
  /// drawing from `rng`. Time::max() when no arrival will ever come. To generate the process,
  /// feed each arrival back in as `after`.
  sim::Time next(sim::Time after, sim::Rng& rng) const;

  [[nodiscard]] const ArrivalParams& params() const { return params_; }

 private:
  // The diurnal factor at t.
  [[nodiscard]] double diurnal(sim::Time t) const;
  // The product of the multipliers of the bursts containing t, and the first burst boundary
  // after t (Time::max() if none).
  [[nodiscard]] double burst_factor(sim::Time t, sim::Time* next_boundary) const;
  // For piecewise curves, the piece containing t and the start of the next one.
  [[nodiscard]] std::size_t piece(sim::Time t, sim::Time* next_boundary) const;
  // The start of piece i of the period (0 <= i <= K), in ns since the period's start.
  [[nodiscard]] std::int64_t piece_start(std::size_t i) const;
  // Integral of diurnal() over [a, b) within one constant-burst stretch, in seconds.
  [[nodiscard]] double diurnal_integral(sim::Time a, sim::Time b) const;

  ArrivalParams params_;
};

/// "flat", "sinusoidal", "piecewise".
const char* to_string(DiurnalShape shape);
/// The shape named `name`. Throws InvalidArgument naming the bad value and the allowed ones.
DiurnalShape parse_diurnal_shape(const std::string& name);

}  // namespace geodes::models
