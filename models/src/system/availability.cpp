#include "geodes/models/system/availability.hpp"

#include <algorithm>
#include <limits>

#include "geodes/sim/error.hpp"

namespace geodes::models {

Availability::Availability(std::size_t businesses, std::size_t dcs, sim::Duration interval,
                           sim::Time warmup)
    : interval_(interval),
      warmup_(warmup),
      businesses_(businesses, sim::SampleSeries(interval)),
      dcs_(dcs, sim::SampleSeries(interval)) {}

void Availability::record(BusinessId business, DcId dc, sim::Time start, sim::Time end,
                          bool succeeded) {
  if (start < warmup_) return;
  const double ok = succeeded ? 1.0 : 0.0;
  businesses_.at(business.value).record(end, ok);
  dcs_.at(dc.value).record(end, ok);
}

const sim::SampleSeries& Availability::business(BusinessId b) const {
  return businesses_.at(b.value);
}

const sim::SampleSeries& Availability::dc(DcId d) const { return dcs_.at(d.value); }

double Availability::rto_s(BusinessId b, sim::Time start, sim::Time end, double target,
                           sim::Duration window, sim::Time run_end) const {
  const sim::SampleSeries& s = businesses_.at(b.value);
  const std::int64_t i_ns = interval_.ns();
  const auto k =
      static_cast<std::size_t>(std::max<std::int64_t>(1, (window.ns() + i_ns - 1) / i_ns));
  const std::size_t n = s.size();
  // Window sums ending at interval j, over [j-k+1, j].
  std::uint64_t count = 0;
  double ok = 0;
  const auto window_end = [&](std::size_t j) {
    return sim::Time(static_cast<std::int64_t>(j + 1) * i_ns);
  };
  const sim::Time hurt_until =
      end == sim::Time::max() || end > run_end - window ? run_end : end + window;
  bool hurt = false;
  for (std::size_t j = 0; j < n; ++j) {
    count += s.count(j);
    ok += s.sum(j);
    if (j >= k) {
      count -= s.count(j - k);
      ok -= s.sum(j - k);
    }
    const sim::Time t = window_end(j);
    if (t <= start || count == 0) continue;
    // Success ratios are sums of 0/1, so exact in doubles well past any run's op count.
    const double ratio = ok / static_cast<double>(count);
    if (!hurt) {
      if (t > hurt_until) return -1;
      if (ratio < target) hurt = true;
    } else if (ratio >= target) {
      return (t - start).seconds();
    }
  }
  return hurt ? std::numeric_limits<double>::infinity() : -1;
}

}  // namespace geodes::models
