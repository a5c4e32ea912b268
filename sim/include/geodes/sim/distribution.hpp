// Probability distributions, implemented here rather than taken from <random>.
//
// Why: std:: distributions are specified only by their output law, not their algorithm, so
// libstdc++ and libc++ draw different values from the same generator; a geodes run must be
// bit-identical everywhere. Each distribution below documents its sampling algorithm, and that
// algorithm is part of the determinism contract: changing it changes every golden fingerprint.
//
// A Distribution is a small immutable value. Values are plain doubles in the base unit of whatever
// the caller measures (nanoseconds for durations, bytes for sizes); the text form carries units.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "geodes/sim/rng.hpp"
#include "geodes/sim/units.hpp"

namespace geodes::sim {

/// Bad distribution text. `what()` names the text, the position and what is allowed.
class DistributionError : public InvalidArgument {
 public:
  DistributionError(const std::string& what, std::size_t column)
      : InvalidArgument(what), column_(column) {}
  /// 1-based column in the text where the problem was found.
  [[nodiscard]] std::size_t column() const { return column_; }

 private:
  std::size_t column_;
};

class Distribution {
 public:
  enum class Kind { kConstant, kUniform, kExponential, kNormal, kLognormal, kPareto, kEmpirical };

  /// Always `value`.
  static Distribution constant(double value);
  /// Uniform on [low, high). REQUIRES: low <= high.
  static Distribution uniform(double low, double high);
  /// Exponential with the given mean. REQUIRES: mean > 0.
  static Distribution exponential(double mean);
  /// Normal(mean, sd). REQUIRES: sd >= 0. May return negative values; callers that need
  /// non-negative values clamp.
  static Distribution normal(double mean, double sd);
  /// exp(Normal(mu, sigma)). REQUIRES: sigma >= 0.
  static Distribution lognormal(double mu, double sigma);
  /// The lognormal with the given median and 99th percentile. REQUIRES: 0 < median <= p99.
  static Distribution lognormal_median_p99(double median, double p99);
  /// Pareto type I: P(X > x) = (scale / x)^shape for x >= scale. REQUIRES: scale > 0, shape > 0.
  static Distribution pareto(double scale, double shape);
  /// The empirical distribution of `samples`: each draw picks one sample uniformly.
  /// REQUIRES: samples non-empty.
  static Distribution empirical(std::vector<double> samples);

  /// Parses the compact text form, e.g. "exp(1ms)", "const(30ms)", "uniform(10ms, 20ms)",
  /// "normal(mean=10ms, sd=2ms)", "lognormal(median=14ms, p99=25ms)", "lognormal(mu=1, sigma=0.5)",
  /// "pareto(scale=1ms, shape=2.5)", "empirical(1ms, 2ms, 5ms)". A bare quantity ("30ms") means
  /// const. Numbers carry units of kind `unit` and come back in its base unit, except lognormal's
  /// mu and sigma (of the natural log of the base-unit value) and pareto's shape, which are plain
  /// numbers. Arguments are positional in the order shown, or named (name=value), positional
  /// first; lognormal takes named arguments only. Aliases: exponential = exp, constant = const.
  /// Throws DistributionError.
  static Distribution parse(std::string_view text, Unit unit);

  /// One draw. Deterministic given the stream's state. Draws consumed from `rng`: constant 0;
  /// uniform, Pareto 1; exponential 1, or more for the 1.1% of draws the ziggurat rejects or
  /// sends to its tail; normal and lognormal exactly 2; empirical 1 or more (below()).
  double sample(Rng& rng) const {
    if (kind_ == Kind::kConstant) return a_;  // inline: fixed latencies and service times
    return sample_drawn(rng);
  }

  [[nodiscard]] Kind kind() const { return kind_; }
  /// Closed-form mean (infinity where it does not exist, e.g. Pareto with shape <= 1).
  [[nodiscard]] double mean() const;
  /// Closed-form variance (infinity where it does not exist).
  [[nodiscard]] double variance() const;
  /// Closed-form quantile. REQUIRES: 0 <= p < 1 (p = 1 allowed where the support is bounded).
  [[nodiscard]] double quantile(double p) const;
  /// Text form that parse() reads back to an equal distribution (values in base units with the
  /// unit's base suffix, shortest digits that round-trip exactly). Lognormal prints as mu/sigma.
  /// A value parse() rejects for `unit` (e.g. a negative normal mean as a duration) stays
  /// unparseable.
  [[nodiscard]] std::string to_string(Unit unit) const;

 private:
  Distribution(Kind kind, double a, double b) : kind_(kind), a_(a), b_(b) {}
  // sample() of every kind but constant.
  double sample_drawn(Rng& rng) const;
  Kind kind_;
  double a_;
  double b_;
  std::vector<double> samples_;  // kEmpirical only, in the caller's order (sample() indexes it)
  std::vector<double> sorted_;   // kEmpirical only, ascending, for quantile()
};

/// One standard exponential deviate (mean 1) by the exponential distribution's ziggurat (the
/// algorithm table in distribution.cpp): 1 draw from `rng`, or more for the 1.1% of draws it
/// rejects or sends to its tail. Part of the determinism contract, like Distribution::sample.
/// For callers whose rate changes between draws (arrival gaps), which cannot keep a Distribution.
double standard_exponential(Rng& rng);

}  // namespace geodes::sim
