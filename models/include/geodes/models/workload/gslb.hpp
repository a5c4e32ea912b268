// GSLB (global server load balancing): which DC serves the users of each home DC, and how that
// changes when a DC fails (DOMAIN.md reader comments: "and when that DC fails?" - failover moves
// users to another DC, where their data may be stale or missing).
//
// The GSLB acts on what it *believes*, which lags the truth:
//   * a DC that goes down is believed down `detection_delay` later (health checks), unless it
//     came back before that (a blip shorter than the delay is never noticed);
//   * a DC that comes back is believed up `failback_delay` later (operators wait for it to be
//     stable), unless it failed again before that.
// Whenever a belief changes, every home DC is re-routed to the first DC believed up in its
// preference list: the home itself, then its failover_order (default: the next DCs by id,
// cyclically). If none is believed up, users stay on their home DC (and fail there).
//
// Determinism: route changes are applied, and the listener told, in home-DC id order; pending
// detections and failbacks are engine events, cancelled by handle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "geodes/models/ids.hpp"
#include "geodes/sim/engine.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

struct GslbParams {
  /// From a DC going down until its users are moved.
  sim::Duration detection_delay{30'000'000'000};  // 30 s
  /// From a DC coming back until its users are moved back.
  sim::Duration failback_delay{300'000'000'000};  // 5 min
  /// Per home DC (index = DC id), the DCs to fail over to in order of preference. Empty: for every
  /// DC d, d + 1, d + 2, ... modulo the DC count.
  std::vector<std::vector<DcId>> failover_order;
};

struct GslbStats {
  std::uint64_t detections = 0;     ///< DCs believed down
  std::uint64_t failbacks = 0;      ///< DCs believed up again
  std::uint64_t route_changes = 0;  ///< home DCs re-routed
};

class Gslb {
 public:
  /// Throws InvalidArgument when dc_count is 0, a delay is negative, failover_order has neither 0
  /// nor dc_count entries, or a list names an unknown DC, its own home DC, or a DC twice.
  /// REQUIRES: `engine` outlives the Gslb.
  Gslb(sim::Engine& engine, const GslbParams& params, std::size_t dc_count);
  Gslb(const Gslb&) = delete;
  Gslb& operator=(const Gslb&) = delete;

  /// `dc` has just gone down (a fault started). Ignored if it is already down.
  void dc_down(DcId dc);
  /// `dc` has just come back. Ignored if it is not down.
  void dc_up(DcId dc);

  /// The DC now serving the users whose home is `home`.
  [[nodiscard]] DcId route(DcId home) const { return route_[home.value]; }
  /// True iff the GSLB currently believes `dc` up.
  [[nodiscard]] bool believed_up(DcId dc) const { return believed_up_[dc.value] != 0; }
  [[nodiscard]] std::size_t dc_count() const { return route_.size(); }
  [[nodiscard]] const GslbStats& stats() const { return stats_; }

  /// Called for every route change: (time, home DC, old serving DC, new serving DC).
  void set_route_listener(std::function<void(sim::Time, DcId, DcId, DcId)> listener);

 private:
  void believe(DcId dc, bool up);
  void reroute();

  sim::Engine& engine_;
  GslbParams params_;
  std::vector<std::vector<DcId>> preference_;  // per home: home first, then failover targets
  std::vector<char> down_;                     // what we were told
  std::vector<char> believed_up_;
  std::vector<DcId> route_;
  std::vector<sim::EventHandle> pending_;  // a detection or failback per DC
  GslbStats stats_;
  std::function<void(sim::Time, DcId, DcId, DcId)> listener_;
};

}  // namespace geodes::models
