#include "geodes/models/workload/gslb.hpp"

#include <string>
#include <utility>

#include "geodes/sim/error.hpp"

namespace geodes::models {

namespace {

std::string str(std::uint64_t v) { return std::to_string(v); }

}  // namespace

Gslb::Gslb(sim::Engine& engine, const GslbParams& params, std::size_t dc_count)
    : engine_(engine),
      params_(params),
      preference_(dc_count),
      down_(dc_count, 0),
      believed_up_(dc_count, 1),
      pending_(dc_count) {
  const std::string where = "gslb: ";
  if (dc_count == 0) throw InvalidArgument(where + "there are no DCs");
  if (params.detection_delay < sim::Duration::zero()) {
    throw InvalidArgument(where + "detection_delay is " + sim::format(params.detection_delay) +
                          "; it must be >= 0");
  }
  if (params.failback_delay < sim::Duration::zero()) {
    throw InvalidArgument(where + "failback_delay is " + sim::format(params.failback_delay) +
                          "; it must be >= 0");
  }
  if (!params.failover_order.empty() && params.failover_order.size() != dc_count) {
    throw InvalidArgument(where + "failover_order has " + str(params.failover_order.size()) +
                          " lists; it needs one per DC (" + str(dc_count) + "), or none for " +
                          "'next DC by id'");
  }
  for (std::size_t home = 0; home < dc_count; ++home) {
    std::vector<DcId>& pref = preference_[home];
    pref.push_back(DcId{static_cast<std::uint32_t>(home)});
    if (params.failover_order.empty()) {
      for (std::size_t i = 1; i < dc_count; ++i) {
        pref.push_back(DcId{static_cast<std::uint32_t>((home + i) % dc_count)});
      }
      continue;
    }
    for (DcId d : params.failover_order[home]) {
      const std::string which = where + "failover_order[" + str(home) + "] ";
      if (d.value >= dc_count) {
        throw InvalidArgument(which + "names DC " + str(d.value) + "; DC ids go from 0 to " +
                              str(dc_count - 1));
      }
      for (DcId seen : pref) {
        if (seen == d) {
          throw InvalidArgument(which + "names DC " + str(d.value) +
                                (d.value == home ? ", its own home DC" : " twice"));
        }
      }
      pref.push_back(d);
    }
  }
  for (std::size_t d = 0; d < dc_count; ++d) route_.push_back(DcId{static_cast<std::uint32_t>(d)});
}

void Gslb::set_route_listener(std::function<void(sim::Time, DcId, DcId, DcId)> listener) {
  listener_ = std::move(listener);
}

void Gslb::dc_down(DcId dc) {
  if (dc.value >= down_.size()) {
    throw InvalidArgument("gslb: DC " + str(dc.value) + " is unknown");
  }
  if (down_[dc.value] != 0) return;
  down_[dc.value] = 1;
  engine_.cancel(pending_[dc.value]);  // a failback not yet done is called off
  pending_[dc.value] = {};
  if (believed_up_[dc.value] != 0) {
    pending_[dc.value] =
        engine_.schedule_in(params_.detection_delay, [this, dc] { believe(dc, false); });
  }
}

void Gslb::dc_up(DcId dc) {
  if (dc.value >= down_.size()) {
    throw InvalidArgument("gslb: DC " + str(dc.value) + " is unknown");
  }
  if (down_[dc.value] == 0) return;
  down_[dc.value] = 0;
  engine_.cancel(pending_[dc.value]);  // a detection not yet done: the blip goes unnoticed
  pending_[dc.value] = {};
  if (believed_up_[dc.value] == 0) {
    pending_[dc.value] =
        engine_.schedule_in(params_.failback_delay, [this, dc] { believe(dc, true); });
  }
}

void Gslb::believe(DcId dc, bool up) {
  pending_[dc.value] = {};
  believed_up_[dc.value] = up ? 1 : 0;
  if (up) {
    ++stats_.failbacks;
  } else {
    ++stats_.detections;
  }
  reroute();
}

void Gslb::reroute() {
  for (std::size_t home = 0; home < route_.size(); ++home) {
    DcId target = preference_[home].front();  // nobody believed up: stay home
    for (DcId d : preference_[home]) {
      if (believed_up_[d.value] != 0) {
        target = d;
        break;
      }
    }
    if (target == route_[home]) continue;
    const DcId from = route_[home];
    route_[home] = target;
    ++stats_.route_changes;
    if (listener_) {
      listener_(engine_.now(), DcId{static_cast<std::uint32_t>(home)}, from, target);
    }
  }
}

}  // namespace geodes::models
