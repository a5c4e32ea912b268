#include "geodes/app/lag_summary.hpp"

#include <limits>

namespace geodes::app {

LagSummary summarize_lag(const sim::Histogram& h) {
  LagSummary s;
  s.count = h.count();
  if (h.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.mean_ns = s.p50_ns = s.p99_ns = s.p999_ns = s.max_ns = nan;
    return s;
  }
  s.mean_ns = h.mean();
  s.p50_ns = h.quantile(0.50);
  s.p99_ns = h.quantile(0.99);
  s.p999_ns = h.quantile(0.999);
  s.max_ns = static_cast<double>(h.max());
  return s;
}

}  // namespace geodes::app
