// The whole-spec check after reading: construct what validates itself, so that a scenario the
// per-key checks let through but a model would reject is still reported at load time, at the node
// it came from.
#include <optional>

#include "geodes/models/workload/arrival_process.hpp"
#include "geodes/models/workload/data_access.hpp"
#include "geodes/models/workload/gslb.hpp"
#include "geodes/models/workload/id_strategy.hpp"
#include "geodes/models/workload/user_routing.hpp"
#include "geodes/models/workload/workload.hpp"
#include "geodes/sim/engine.hpp"
#include "scenario_converter.hpp"

namespace geodes::app {

namespace {

// The Workload validates its parameters in its constructor and touches the data only once
// started; this stands in for the System during that check.
class NoData final : public models::DataAccess {
 public:
  [[nodiscard]] bool dc_up(models::DcId) const override { return true; }
  models::CommitResult commit(models::DcId, models::DataClassId, models::WriteKind, std::uint64_t,
                              std::uint64_t, std::uint64_t) override {
    return {};
  }
  [[nodiscard]] std::optional<models::Row> read(models::DcId, models::DataClassId,
                                                std::uint64_t) const override {
    return std::nullopt;
  }
  std::optional<sim::Duration> call(models::DcId, models::DcId) override { return std::nullopt; }
  void preload(models::DataClassId, std::uint64_t, std::uint64_t) override {}
};

template <typename F>
bool attempt(Diagnostics& d, const YamlMark& mark, const std::string& path, F&& f) {
  try {
    f();
    return true;
  } catch (const InvalidArgument& e) {
    d.error(mark, path, e.what());
    return false;
  }
}

}  // namespace

void validate_spec(const models::ScenarioSpec& spec, const SpecMarks& marks, Diagnostics& d) {
  const std::size_t dcs = spec.topology.datacenter_count();
  const models::WorkloadParams& w = spec.workload;
  bool ok = true;
  ok = attempt(d, marks.routing, "workload.users.routing",
               [&] {
                 const models::UserRouting routing(w.users.routing, dcs);
                 if (w.users.max > 0 && !routing.covers(0, w.users.max - 1)) {
                   throw InvalidArgument(
                       "the id ranges do not cover every user id from 0 to users.max - 1 = " +
                       std::to_string(w.users.max - 1) + "; add ranges for the gaps");
                 }
               }) &&
       ok;
  sim::Engine engine;
  ok = attempt(d, marks.gslb, "workload.gslb",
               [&] { const models::Gslb gslb(engine, w.gslb, dcs); }) &&
       ok;
  for (std::size_t i = 0; i < spec.data.size(); ++i) {
    const models::DataClassSpec& c = spec.data[i];
    if (!c.id_strategy) continue;
    ok = attempt(d, marks.id_strategies[i], marks.id_strategy_paths[i],
                 [&] { const models::IdAllocator a(c.name, *c.id_strategy, dcs, spec.seed); }) &&
         ok;
  }
  double shares = 0;
  for (const models::BusinessParams& b : w.businesses) shares += b.share;
  for (std::size_t i = 0; i < w.businesses.size(); ++i) {
    const models::BusinessParams& b = w.businesses[i];
    models::ArrivalParams a = b.arrivals;
    if (w.total_rate_per_s > 0 && shares > 0) a.rate_per_s = w.total_rate_per_s * b.share / shares;
    ok = attempt(d, marks.businesses[i], marks.business_paths[i],
                 [&] { const models::ArrivalProcess p(a, "business '" + b.name + "': "); }) &&
         ok;
  }
  // Last, the workload as a whole (it repeats the checks above; only report it when they passed,
  // so that one mistake is not told twice).
  if (ok) {
    NoData data;
    attempt(d, marks.workload, "workload",
            [&] { const models::Workload wl(engine, data, w, dcs, spec.seed); });
  }
}

}  // namespace geodes::app
