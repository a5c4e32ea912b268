#include "geodes/models/exceptions/fault_timeline.hpp"

#include <cmath>
#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::models {

namespace {

bool can_be_negative(const sim::Distribution& d) {
  if (d.kind() == sim::Distribution::Kind::kNormal) return d.variance() > 0 || d.mean() < 0;
  return d.quantile(0) < 0;
}

}  // namespace

FaultTimeline::FaultTimeline(sim::Engine& engine, const std::vector<FaultSpec>& faults,
                             FaultHandler& handler, sim::Time inject_until, std::uint64_t seed)
    : engine_(engine), faults_(faults), handler_(handler), inject_until_(inject_until) {
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const FaultSpec& f = faults[i];
    const std::string where =
        "faults[" + std::to_string(i) + "] (" + std::string(to_string(f.type)) + "): ";
    if (f.random) {
      if (can_be_negative(f.mtbf)) throw InvalidArgument(where + "mtbf can draw negative values");
      if (can_be_negative(f.mttr)) throw InvalidArgument(where + "mttr can draw negative values");
    } else {
      if (f.at < sim::Time::zero()) throw InvalidArgument(where + "at is negative");
      if (f.duration <= sim::Duration::zero()) {
        throw InvalidArgument(where + "duration must be > 0");
      }
    }
    rngs_.emplace_back(seed, "faults/" + std::to_string(i) + "/" + to_string(f.type));
  }
}

void FaultTimeline::start() {
  if (started_) throw InvalidArgument("fault timeline: start() called twice");
  started_ = true;
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    const FaultSpec& f = faults_[i];
    if (f.random) {
      schedule_random(i, engine_.now());
    } else {
      const sim::Duration duration = f.duration;
      engine_.schedule_at(f.at, [this, i, duration] { begin(i, duration); });
    }
  }
}

sim::Duration FaultTimeline::draw(const sim::Distribution& d, std::size_t fault) {
  const double ns = d.sample(rngs_[fault]);
  // At least 1 ns: an occurrence of zero length would start and end at one instant.
  return sim::Duration(std::max<std::int64_t>(1, std::llround(ns)));
}

void FaultTimeline::schedule_random(std::size_t fault, sim::Time after) {
  const sim::Duration up = draw(faults_[fault].mtbf, fault);
  const sim::Duration down = draw(faults_[fault].mttr, fault);
  if (up > inject_until_ - after) return;  // the next failure would come after the workload
  engine_.schedule_at(after + up, [this, fault, down] { begin(fault, down); });
}

void FaultTimeline::begin(std::size_t fault, sim::Duration duration) {
  const std::size_t occurrence = occurrences_.size();
  occurrences_.push_back(FaultOccurrence{fault, engine_.now(), sim::Time::max()});
  engine_.mix_fingerprint(0xfa17ULL ^ (std::uint64_t{fault} << 16) ^ occurrence);
  handler_.fault_started(fault, occurrence, duration);
  if (duration == sim::Duration::max()) return;
  engine_.schedule_in(duration, [this, fault, occurrence] { finish(fault, occurrence); });
}

void FaultTimeline::finish(std::size_t fault, std::size_t occurrence) {
  occurrences_[occurrence].end = engine_.now();
  handler_.fault_ended(fault, occurrence);
  if (faults_[fault].random) schedule_random(fault, engine_.now());
}

}  // namespace geodes::models
