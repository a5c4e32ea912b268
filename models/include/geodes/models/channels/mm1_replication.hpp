// The smallest replication channel there is, for teaching and for checking the engine against
// queueing theory: writes commit at a source as a Poisson stream, cross a link with a constant
// one-way latency, and are applied at the replica by one applier with exponential service time,
// first come first served. Lag (apply time minus commit time) is then L + W, where W is the
// M/M/1 sojourn time: W ~ Exp(mu - lambda) when rho = lambda / mu < 1.
//
// The real MySQL channel (binlog, relay log, parallel appliers, semi-sync) lives in
// mysql_channel.hpp; this one exists so `make demo` and the engine tests have a model whose
// answer is known in closed form.
#pragma once

#include <cstdint>

#include "geodes/sim/histogram.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

struct Mm1ReplicationParams {
  double write_rate_per_s = 800.0;         ///< lambda
  double apply_rate_per_s = 1000.0;        ///< mu
  sim::Duration link_latency{15'000'000};  ///< L, one way (Beijing-Shanghai ~ 30 ms RTT)
  std::uint64_t writes = 200'000;          ///< writes measured after warm-up
  std::uint64_t warmup_writes = 10'000;    ///< writes discarded while the queue fills
  std::uint64_t seed = 1;
};

struct Mm1ReplicationResult {
  sim::Histogram lag_ns;                      ///< lag of each measured write
  std::uint64_t events = 0;                   ///< engine events executed
  std::uint64_t fingerprint = 0;              ///< engine fingerprint
  double theory_mean_ns = 0;                  ///< L + 1/(mu - lambda)
  double theory_quantile_ns(double p) const;  ///< L - ln(1 - p)/(mu - lambda)
  double link_latency_ns = 0;
  double excess_rate_per_s = 0;  ///< mu - lambda
};

/// Runs the model. Throws InvalidArgument unless 0 < lambda < mu and writes > 0.
Mm1ReplicationResult run_mm1_replication(const Mm1ReplicationParams& params);

}  // namespace geodes::models
