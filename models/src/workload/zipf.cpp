#include "geodes/models/workload/zipf.hpp"

#include <cmath>
#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::models {

namespace {

// log1p(x) / x, continuous at 0.
double helper1(double x) {
  if (std::abs(x) > 1e-8) return std::log1p(x) / x;
  return 1 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

// expm1(x) / x, continuous at 0.
double helper2(double x) {
  if (std::abs(x) > 1e-8) return std::expm1(x) / x;
  return 1 + x * 0.5 * (1 + x * (1.0 / 3.0) * (1 + 0.25 * x));
}

}  // namespace

ZipfSampler::ZipfSampler(std::uint64_t n, double s) : n_(n), s_(s) {
  if (n == 0 || n > (std::uint64_t{1} << 53)) {
    throw InvalidArgument("zipf: n is " + std::to_string(n) + "; it must be between 1 and 2^53");
  }
  if (!std::isfinite(s) || s < 0) {
    throw InvalidArgument("zipf: exponent s is " + std::to_string(s) +
                          "; it must be a finite number >= 0 (0 is uniform)");
  }
  h_integral_x1_ = h_integral(1.5) - 1;
  h_integral_n_ = h_integral(static_cast<double>(n) + 0.5);
  threshold_ = 2 - h_integral_inverse(h_integral(2.5) - h(2));
}

double ZipfSampler::h(double x) const { return std::exp(-s_ * std::log(x)); }

double ZipfSampler::h_integral(double x) const {
  const double log_x = std::log(x);
  return helper2((1 - s_) * log_x) * log_x;
}

double ZipfSampler::h_integral_inverse(double x) const {
  double t = x * (1 - s_);
  if (t < -1) t = -1;  // guards rounding just below the hat's domain
  return std::exp(helper1(t) * x);
}

std::uint64_t ZipfSampler::sample(sim::Rng& rng) const {
  // One rank: the loop below would accept k = 1 on its first iteration (u >= h_integral_x1_ =
  // h_integral(1.5) - h(1) always holds), so the same single uniform is consumed, skipping the
  // exp/log of an inversion whose answer is known. Bit-identical to the general path.
  if (n_ == 1) {
    static_cast<void>(rng.uniform01());
    return 1;
  }
  const auto n = static_cast<double>(n_);
  while (true) {
    // u is uniform on (h_integral_x1_, h_integral_n_].
    const double u = h_integral_n_ + rng.uniform01() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1) k = 1;
    if (k > n) k = n;
    // Accept at once when x is close enough to k that it must lie under k's bar; otherwise
    // compare with the bar's exact top.
    if (k - x <= threshold_ || u >= h_integral(k + 0.5) - h(k)) {
      return static_cast<std::uint64_t>(k);
    }
  }
}

}  // namespace geodes::models
