#include "geodes/models/channels/mm1_replication.hpp"

#include <cmath>
#include <deque>
#include <sstream>
#include <string>

#include "geodes/sim/engine.hpp"
#include "geodes/sim/error.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::models {

namespace {

// The model's state; events capture a pointer to it.
class Mm1Replication {
 public:
  Mm1Replication(const Mm1ReplicationParams& p, Mm1ReplicationResult& out)
      : p_(p),
        out_(out),
        arrivals_(p.seed, "mm1/arrivals"),
        service_(p.seed, "mm1/service"),
        total_(p.writes + p.warmup_writes) {}

  void run() {
    engine_.schedule_in(exp_draw(arrivals_, p_.write_rate_per_s), [this] { commit(); });
    engine_.run();
    out_.events = engine_.events_executed();
    out_.fingerprint = engine_.fingerprint();
  }

 private:
  static sim::Duration exp_draw(sim::Rng& rng, double rate) {
    return sim::Duration::from_seconds(-std::log(rng.uniform_open0()) / rate);
  }

  void commit() {
    const sim::Time committed = engine_.now();
    ++committed_;
    // The write reaches the replica's relay log one link latency later. Constant latency keeps
    // FIFO order, so the relay log is just a queue of commit times.
    engine_.schedule_in(p_.link_latency, [this, c = committed.ns()] { arrive(sim::Time(c)); });
    if (committed_ < total_) {
      engine_.schedule_in(exp_draw(arrivals_, p_.write_rate_per_s), [this] { commit(); });
    }
  }

  void arrive(sim::Time committed) {
    relay_log_.push_back(committed);
    if (!busy_) start_apply();
  }

  void start_apply() {
    busy_ = true;
    engine_.schedule_in(exp_draw(service_, p_.apply_rate_per_s), [this] { finish_apply(); });
  }

  void finish_apply() {
    const sim::Time committed = relay_log_.front();
    relay_log_.pop_front();
    if (++applied_ > p_.warmup_writes) out_.lag_ns.record((engine_.now() - committed).ns());
    busy_ = false;
    if (!relay_log_.empty()) start_apply();
  }

  const Mm1ReplicationParams& p_;
  Mm1ReplicationResult& out_;
  sim::Engine engine_;
  sim::Rng arrivals_;
  sim::Rng service_;
  std::uint64_t total_;
  std::uint64_t committed_ = 0;
  std::uint64_t applied_ = 0;
  std::deque<sim::Time> relay_log_;
  bool busy_ = false;
};

}  // namespace

double Mm1ReplicationResult::theory_quantile_ns(double p) const {
  return link_latency_ns - std::log(1.0 - p) / excess_rate_per_s * 1e9;
}

Mm1ReplicationResult run_mm1_replication(const Mm1ReplicationParams& params) {
  if (!(params.write_rate_per_s > 0) || !(params.apply_rate_per_s > params.write_rate_per_s)) {
    std::ostringstream msg;
    msg << "M/M/1 replication needs 0 < write rate < apply rate; got write rate "
        << params.write_rate_per_s << "/s, apply rate " << params.apply_rate_per_s << "/s";
    throw InvalidArgument(msg.str());
  }
  if (params.writes == 0) throw InvalidArgument("M/M/1 replication needs writes > 0");
  if (params.link_latency < sim::Duration::zero()) {
    throw InvalidArgument("M/M/1 replication needs a non-negative link latency");
  }
  Mm1ReplicationResult out;
  out.link_latency_ns = static_cast<double>(params.link_latency.ns());
  out.excess_rate_per_s = params.apply_rate_per_s - params.write_rate_per_s;
  out.theory_mean_ns = out.link_latency_ns + 1e9 / out.excess_rate_per_s;
  Mm1Replication model(params, out);
  model.run();
  return out;
}

}  // namespace geodes::models
