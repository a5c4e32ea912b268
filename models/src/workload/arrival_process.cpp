#include "geodes/models/workload/arrival_process.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>

#include "geodes/sim/distribution.hpp"
#include "geodes/sim/error.hpp"
#include "geodes/sim/names.hpp"
#include "geodes/sim/rounding.hpp"

namespace geodes::models {

namespace {

__extension__ typedef __int128 Int128;  // NOLINT(modernize-use-using)

std::string num(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// Time since the start of the current period.
std::int64_t phase_ns(sim::Time t, sim::Duration period) { return t.ns() % period.ns(); }

}  // namespace

ArrivalProcess::ArrivalProcess(const ArrivalParams& params, const std::string& where)
    : params_(params) {
  const ArrivalParams& p = params_;
  if (!std::isfinite(p.rate_per_s) || p.rate_per_s < 0) {
    throw InvalidArgument(where + "rate is " + num(p.rate_per_s) +
                          " per second; it must be a finite number >= 0");
  }
  const DiurnalParams& d = p.diurnal;
  if (d.period <= sim::Duration::zero()) {
    throw InvalidArgument(where + "diurnal period is " + sim::format(d.period) +
                          "; it must be > 0 (a day is 24h)");
  }
  if (d.shape == DiurnalShape::kSinusoidal) {
    if (!(d.amplitude >= 0 && d.amplitude <= 1)) {
      throw InvalidArgument(where + "diurnal amplitude is " + num(d.amplitude) +
                            "; it must be between 0 and 1");
    }
    if (d.peak < sim::Duration::zero() || d.peak >= d.period) {
      throw InvalidArgument(where + "diurnal peak is " + sim::format(d.peak) +
                            "; it must be a time of day in [0, " + sim::format(d.period) + ")");
    }
  }
  if (d.shape == DiurnalShape::kPiecewise) {
    if (d.factors.empty()) {
      throw InvalidArgument(where +
                            "diurnal factors is empty; a piecewise curve needs at least one "
                            "factor (24 for hourly)");
    }
    if (static_cast<std::uint64_t>(d.factors.size()) > static_cast<std::uint64_t>(d.period.ns())) {
      throw InvalidArgument(where + "diurnal factors has " + std::to_string(d.factors.size()) +
                            " entries, more than the ns in a period");
    }
    for (std::size_t i = 0; i < d.factors.size(); ++i) {
      if (!std::isfinite(d.factors[i]) || d.factors[i] < 0) {
        throw InvalidArgument(where + "diurnal factors[" + std::to_string(i) + "] is " +
                              num(d.factors[i]) + "; a factor must be a finite number >= 0");
      }
    }
  }
  for (std::size_t i = 0; i < p.bursts.size(); ++i) {
    const Burst& b = p.bursts[i];
    const std::string which = where + "bursts[" + std::to_string(i) + "] ";
    if (b.start < sim::Time::zero()) {
      throw InvalidArgument(which + "starts at " + sim::format(b.start) + "; it must be >= 0");
    }
    if (b.length <= sim::Duration::zero()) {
      throw InvalidArgument(which + "has length " + sim::format(b.length) + "; it must be > 0");
    }
    if (!std::isfinite(b.multiplier) || b.multiplier < 0) {
      throw InvalidArgument(which + "has multiplier " + num(b.multiplier) +
                            "; it must be a finite number >= 0");
    }
  }
}

double ArrivalProcess::diurnal(sim::Time t) const {
  const DiurnalParams& d = params_.diurnal;
  switch (d.shape) {
    case DiurnalShape::kFlat:
      return 1;
    case DiurnalShape::kSinusoidal: {
      const double x = static_cast<double>(phase_ns(t, d.period) - d.peak.ns()) /
                       static_cast<double>(d.period.ns());
      return 1 + d.amplitude * std::cos(2 * std::numbers::pi * x);
    }
    case DiurnalShape::kPiecewise: {
      sim::Time unused;
      return d.factors[piece(t, &unused)];
    }
  }
  return 1;
}

double ArrivalProcess::burst_factor(sim::Time t, sim::Time* next_boundary) const {
  double factor = 1;
  sim::Time next = sim::Time::max();
  for (const Burst& b : params_.bursts) {
    const sim::Time end = b.length.ns() > sim::Time::max().ns() - b.start.ns() ? sim::Time::max()
                                                                               : b.start + b.length;
    if (t < b.start) {
      next = std::min(next, b.start);
    } else if (t < end) {
      factor *= b.multiplier;
      next = std::min(next, end);
    }
  }
  *next_boundary = next;
  return factor;
}

std::int64_t ArrivalProcess::piece_start(std::size_t i) const {
  const DiurnalParams& d = params_.diurnal;
  return static_cast<std::int64_t>(static_cast<Int128>(i) * d.period.ns() /
                                   static_cast<Int128>(d.factors.size()));
}

std::size_t ArrivalProcess::piece(sim::Time t, sim::Time* next_boundary) const {
  const DiurnalParams& d = params_.diurnal;
  const std::size_t k = d.factors.size();
  const std::int64_t ph = phase_ns(t, d.period);
  auto i =
      static_cast<std::size_t>(static_cast<Int128>(ph) * static_cast<Int128>(k) / d.period.ns());
  // piece_start floors, so the estimate may be one off either way.
  while (i + 1 < k && piece_start(i + 1) <= ph) ++i;
  while (i > 0 && piece_start(i) > ph) --i;
  const std::int64_t to_next = piece_start(i + 1) - ph;
  *next_boundary =
      to_next > sim::Time::max().ns() - t.ns() ? sim::Time::max() : t + sim::Duration(to_next);
  return i;
}

double ArrivalProcess::rate_at(sim::Time t) const {
  sim::Time unused;
  return params_.rate_per_s * diurnal(t) * burst_factor(t, &unused);
}

double ArrivalProcess::diurnal_integral(sim::Time a, sim::Time b) const {
  const DiurnalParams& d = params_.diurnal;
  switch (d.shape) {
    case DiurnalShape::kFlat:
      return (b - a).seconds();
    case DiurnalShape::kSinusoidal: {
      // Integral of 1 + A cos(2 pi (t - peak) / P) dt = (b - a) + A P / (2 pi) [sin(...)]_a^b;
      // phases are reduced modulo P first so that sin() sees small arguments.
      const double p = static_cast<double>(d.period.ns());
      const auto angle = [&](sim::Time t) {
        return 2 * std::numbers::pi * static_cast<double>(phase_ns(t, d.period) - d.peak.ns()) / p;
      };
      return (b - a).seconds() + d.amplitude * p * 1e-9 / (2 * std::numbers::pi) *
                                     (std::sin(angle(b)) - std::sin(angle(a)));
    }
    case DiurnalShape::kPiecewise: {
      double sum = 0;
      sim::Time t = a;
      while (t < b) {
        sim::Time end;
        const std::size_t i = piece(t, &end);
        end = std::min(end, b);
        sum += d.factors[i] * (end - t).seconds();
        t = end;
      }
      return sum;
    }
  }
  return 0;
}

double ArrivalProcess::expected_count(sim::Time from, sim::Time to) const {
  double sum = 0;
  sim::Time t = from;
  while (t < to) {
    sim::Time end;
    const double factor = burst_factor(t, &end);
    end = std::min(end, to);
    if (factor != 0) sum += factor * diurnal_integral(t, end);
    t = end;
  }
  return params_.rate_per_s * sum;
}

sim::Time ArrivalProcess::next(sim::Time after, sim::Rng& rng) const {
  if (params_.rate_per_s == 0) return sim::Time::max();
  const DiurnalParams& d = params_.diurnal;
  sim::Time t = after;
  while (true) {
    sim::Time end;
    const double factor = burst_factor(t, &end);
    double bound = params_.rate_per_s * factor;
    bool exact = true;
    switch (d.shape) {
      case DiurnalShape::kFlat:
        break;
      case DiurnalShape::kSinusoidal:
        bound *= 1 + d.amplitude;
        exact = d.amplitude == 0;
        break;
      case DiurnalShape::kPiecewise: {
        sim::Time piece_end;
        bound *= d.factors[piece(t, &piece_end)];
        end = std::min(end, piece_end);
        break;
      }
    }
    if (bound <= 0) {  // nothing arrives on this piece
      if (end == sim::Time::max()) return sim::Time::max();
      t = end;
      continue;
    }
    // The reciprocal does not depend on the draw, so its division overlaps the ziggurat's.
    const double gap_ns = sim::standard_exponential(rng) * (1e9 / bound);
    const double room_ns = static_cast<double>(end.ns() - t.ns());
    if (gap_ns >= room_ns) {  // past this piece: restart at its end (memoryless)
      if (end == sim::Time::max()) return sim::Time::max();
      t = end;
      continue;
    }
    const sim::Time candidate = t + sim::Duration(sim::round_half_away(gap_ns));
    if (candidate >= end) {  // rounding reached the boundary
      t = end;
      continue;
    }
    t = candidate;
    if (exact || rng.uniform01() * bound < rate_at(t)) return t;
  }
}

const char* to_string(DiurnalShape shape) {
  switch (shape) {
    case DiurnalShape::kFlat:
      return "flat";
    case DiurnalShape::kSinusoidal:
      return "sinusoidal";
    case DiurnalShape::kPiecewise:
      return "piecewise";
  }
  return "?";
}

DiurnalShape parse_diurnal_shape(const std::string& name) {
  static constexpr DiurnalShape kAll[] = {DiurnalShape::kFlat, DiurnalShape::kSinusoidal,
                                          DiurnalShape::kPiecewise};
  return sim::parse_name(name, kAll, "diurnal shape");
}

}  // namespace geodes::models
