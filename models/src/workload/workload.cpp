#include "geodes/models/workload/workload.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

#include "geodes/models/data/huge_pages.hpp"
#include "geodes/sim/error.hpp"
#include "geodes/sim/rounding.hpp"

namespace geodes::models {

namespace {

std::string str(std::uint64_t v) { return std::to_string(v); }

std::string business_where(const BusinessParams& b) { return "business '" + b.name + "': "; }

void validate_steps(const BusinessParams& b, const WorkloadParams& p, std::size_t dc_count) {
  const std::string where = business_where(b);
  if (b.steps.empty()) throw InvalidArgument(where + "steps is empty; a business needs steps");
  if (!(b.roaming >= 0 && b.roaming <= 1)) {
    throw InvalidArgument(where + "roaming is " + std::to_string(b.roaming) +
                          "; it must be in [0, 1]");
  }
  if (!std::isfinite(b.zipf_exponent) || b.zipf_exponent < 0) {
    throw InvalidArgument(where + "zipf_exponent is " + std::to_string(b.zipf_exponent) +
                          "; it must be a finite number >= 0 (0 is uniform)");
  }
  const bool registers = registers_users(b);
  bool allocated = false;
  for (std::size_t i = 0; i < b.steps.size(); ++i) {
    const Step& s = b.steps[i];
    const std::string which = where + "steps[" + str(i) + "] (" + to_string(s.kind) + ") ";
    if (s.data_class.value >= p.data_classes.size()) {
      throw InvalidArgument(which + "names data class " + str(s.data_class.value) + "; there are " +
                            str(p.data_classes.size()) + " data classes");
    }
    const std::string& cls = p.data_classes[s.data_class.value].name;
    if (s.kind == StepKind::kAllocateId) {
      if (allocated) throw InvalidArgument(which + "is a second allocate_id; at most one allowed");
      if (!p.data_classes[s.data_class.value].id_strategy) {
        std::string message = which;
        message += "draws from data class '";
        message += cls;
        message += "', which has no id_strategy";
        throw InvalidArgument(message);
      }
      allocated = true;
      continue;
    }
    if (s.key == KeyChoice::kNewId && !allocated) {
      throw InvalidArgument(which + "uses key new_id with no allocate_id step before it");
    }
    if (s.key == KeyChoice::kAccount && registers) {
      throw InvalidArgument(which +
                            "uses key account in a business that registers users (the "
                            "user has no account yet); use new_id");
    }
    const bool per_dc_decrement = s.kind == StepKind::kDecrement && s.key == KeyChoice::kPerDc;
    if (s.borrow && !per_dc_decrement) {
      throw InvalidArgument(which + "sets borrow; only a decrement with key per_dc can borrow");
    }
    if (!s.initial_per_dc.empty()) {
      if (!per_dc_decrement) {
        throw InvalidArgument(which +
                              "sets initial_per_dc; only a decrement with key per_dc "
                              "has per-DC rows to preload");
      }
      if (s.initial_per_dc.size() != dc_count) {
        throw InvalidArgument(which + "initial_per_dc has " + str(s.initial_per_dc.size()) +
                              " entries; it needs one per DC (" + str(dc_count) + ")");
      }
    }
  }
}

void validate(const WorkloadParams& p, std::size_t dc_count) {
  const std::string where = "workload: ";
  if (p.businesses.empty()) throw InvalidArgument(where + "businesses is empty");
  std::set<std::string> names;
  for (const BusinessParams& b : p.businesses) {
    if (b.name.empty()) throw InvalidArgument(where + "a business has an empty name");
    if (!names.insert(b.name).second) {
      throw InvalidArgument(where + "business name '" + b.name + "' is used twice");
    }
    validate_steps(b, p, dc_count);
  }
  if (!std::isfinite(p.total_rate_per_s) || p.total_rate_per_s < 0) {
    throw InvalidArgument(where + "total_rate_per_s is " + std::to_string(p.total_rate_per_s) +
                          "; it must be a finite number >= 0");
  }
  double shares = 0;
  for (const BusinessParams& b : p.businesses) {
    if (!std::isfinite(b.share) || b.share < 0) {
      throw InvalidArgument(business_where(b) + "share is " + std::to_string(b.share) +
                            "; it must be a finite number >= 0");
    }
    if (p.total_rate_per_s > 0 && b.arrivals.rate_per_s != 0) {
      throw InvalidArgument(business_where(b) +
                            "sets rate_per_s while the workload sets "
                            "total_rate_per_s; give either per-business rates or a total rate "
                            "with shares");
    }
    if (p.total_rate_per_s == 0 && b.share != 0) {
      throw InvalidArgument(business_where(b) +
                            "sets share but total_rate_per_s is 0; give "
                            "total_rate_per_s, or per-business rate_per_s without shares");
    }
    shares += b.share;
  }
  if (p.total_rate_per_s > 0 && shares <= 0) {
    throw InvalidArgument(where + "total_rate_per_s is set but every business's share is 0");
  }
  if (p.users.max > UserParams::kMaxUsers) {
    throw InvalidArgument(where + "users.max (" + str(p.users.max) + ") is above " +
                          str(UserParams::kMaxUsers) + ", the most users a run can hold");
  }
  if (p.users.initial > p.users.max) {
    throw InvalidArgument(where + "users.initial (" + str(p.users.initial) +
                          ") is larger than users.max (" + str(p.users.max) + ")");
  }
  if (p.users.id_class) {
    const DataClassId c = *p.users.id_class;
    if (c.value >= p.data_classes.size() || !p.data_classes[c.value].id_strategy) {
      throw InvalidArgument(where + "users.id_class is data class " + str(c.value) +
                            ", which does not exist or has no id_strategy");
    }
  }
  for (DataClassId c : p.users.preload) {
    if (c.value >= p.data_classes.size()) {
      throw InvalidArgument(where + "users.preload names data class " + str(c.value) +
                            "; there are " + str(p.data_classes.size()) + " data classes");
    }
  }
  const ClientParams& c = p.client;
  if (c.timeout <= sim::Duration::zero()) {
    throw InvalidArgument(where + "client.timeout is " + sim::format(c.timeout) +
                          "; it must be > 0");
  }
  if (c.max_retries < 0) {
    throw InvalidArgument(where + "client.max_retries is " + std::to_string(c.max_retries) +
                          "; it must be >= 0");
  }
  if (c.backoff < sim::Duration::zero()) {
    throw InvalidArgument(where + "client.backoff is " + sim::format(c.backoff) +
                          "; it must be >= 0");
  }
  if (!std::isfinite(c.backoff_multiplier) || c.backoff_multiplier < 1) {
    throw InvalidArgument(where + "client.backoff_multiplier is " +
                          std::to_string(c.backoff_multiplier) + "; it must be >= 1");
  }
}

// The arrival parameters a business ends up with.
ArrivalParams effective_arrivals(const WorkloadParams& p, const BusinessParams& b) {
  ArrivalParams a = b.arrivals;
  if (p.total_rate_per_s > 0) {
    double shares = 0;
    for (const BusinessParams& other : p.businesses) shares += other.share;
    a.rate_per_s = p.total_rate_per_s * b.share / shares;
  }
  return a;
}

}  // namespace

struct Workload::Business {
  Business(const WorkloadParams& p, const BusinessParams& b, std::uint64_t seed)
      : params(b),
        arrivals(effective_arrivals(p, b), business_where(b)),
        arrival_rng(seed, "workload/" + b.name + "/arrivals"),
        user_rng(seed, "workload/" + b.name + "/users"),
        roam_rng(seed, "workload/" + b.name + "/roaming"),
        registers(registers_users(b)),
        before_ahead(user_rng) {}

  BusinessParams params;
  ArrivalProcess arrivals;
  sim::Rng arrival_rng;
  sim::Rng user_rng;
  sim::Rng roam_rng;
  std::optional<ZipfSampler> zipf;  // rebuilt when the number of registered users changes
  bool registers;
  // The next arrival's user, drawn when the arrival is scheduled so that its entry in by_rank_
  // can be fetched from memory while the events before it run (see draw_ahead()). Valid while
  // `ahead`, drawn by `zipf` (nothing rebuilds it meanwhile); `before_ahead` is user_rng as it was
  // before the draw.
  bool ahead = false;
  std::uint64_t ahead_rank = 0;
  sim::Rng before_ahead;
};

Workload::Workload(sim::Engine& engine, DataAccess& access, const WorkloadParams& params,
                   std::size_t dc_count, std::uint64_t seed)
    : engine_(engine),
      access_(access),
      params_((validate(params, dc_count), params)),
      dc_count_(dc_count),
      routing_(params.users.routing, dc_count),
      gslb_(engine, params.gslb, dc_count),
      truth_(
          [&] {
            std::vector<sim::Duration> bounds;
            for (const WorkloadDataClass& c : params.data_classes) bounds.push_back(c.bound);
            return bounds;
          }(),
          [&] {
            std::vector<KeySizing> keys;
            for (const WorkloadDataClass& c : params.data_classes) keys.push_back(c.keys);
            return keys;
          }()),
      fallback_of_(params.data_classes.size(), -1),
      fallback_counts_(params.data_classes.size()),
      business_counts_(params.businesses.size()),
      dc_counts_(dc_count),
      class_counts_(params.data_classes.size()) {
  if (params_.users.max > 0 && !routing_.covers(0, params_.users.max - 1)) {
    throw InvalidArgument(
        "workload: user routing id_range does not cover every user id from 0 "
        "to users.max - 1 = " +
        str(params_.users.max - 1) + "; add ranges for the gaps");
  }
  for (std::size_t i = 0; i < params_.fallback.size(); ++i) {
    const FallbackParams& f = params_.fallback[i];
    const std::string where = "workload: fallback[" + str(i) + "] ";
    if (f.data_class.value >= params_.data_classes.size()) {
      throw InvalidArgument(where + "names data class " + str(f.data_class.value) + "; there are " +
                            str(params_.data_classes.size()) + " data classes");
    }
    if (fallback_of_[f.data_class.value] >= 0) {
      throw InvalidArgument(where + "is a second fallback for data class '" +
                            params_.data_classes[f.data_class.value].name + "'");
    }
    if (f.fixed_owner && f.owner.value >= dc_count) {
      throw InvalidArgument(where + "names owner DC " + str(f.owner.value) + "; there are " +
                            str(dc_count) + " DCs");
    }
    if (f.timeout <= sim::Duration::zero()) {
      throw InvalidArgument(where + "timeout is " + sim::format(f.timeout) + "; it must be > 0");
    }
    fallback_of_[f.data_class.value] = static_cast<int>(i);
  }
  for (const WorkloadDataClass& c : params_.data_classes) {
    allocators_.push_back(
        c.id_strategy ? std::make_unique<IdAllocator>(c.name, *c.id_strategy, dc_count, seed)
                      : nullptr);
    service_rngs_.emplace_back(seed, "workload/service/" + c.name);
  }
  access_.set_commit_waiter(this);
  businesses_.reserve(params_.businesses.size());
  for (const BusinessParams& b : params_.businesses) businesses_.emplace_back(params_, b, seed);
  gslb_.set_route_listener([this](sim::Time at, DcId home, DcId from, DcId to) {
    if (sink_ != nullptr) sink_->on_route_change(at, home, from, to);
  });
}

Workload::~Workload() = default;

void Workload::start() {
  if (started_) throw InvalidArgument("workload: start() called twice");
  started_ = true;
  access_latency_.assign(dc_count_ * dc_count_, sim::Duration::zero());
  for (std::uint32_t h = 0; h < dc_count_; ++h) {
    for (std::uint32_t d = 0; d < dc_count_; ++d) {
      if (h != d) access_latency_[h * dc_count_ + d] = access_.access_latency(DcId{h}, DcId{d});
    }
  }
  const UserParams& u = params_.users;
  // Address space for every user id there can be, up to kReservedUsers (2.5 GiB of it; pages
  // become resident only as users register), so that registrations copy nothing.
  static_assert(kBytesPerUser == sizeof(std::uint32_t) + sizeof(Ranked));
  const std::uint64_t room = std::min<std::uint64_t>(u.max, kReservedUsers);
  rank_of_.reserve(room);
  by_rank_.reserve(room);
  advise_huge_pages(rank_of_.data(), rank_of_.capacity() * sizeof(std::uint32_t));
  advise_huge_pages(by_rank_.data(), by_rank_.capacity() * sizeof(Ranked));
  for (std::uint64_t user = 0; user < u.initial; ++user) {
    std::uint64_t account = user;
    if (u.id_class) {
      IdAllocator& a = *allocators_[u.id_class->value];
      account = a.allocate(a.authority().value_or(routing_.home(user)), engine_.now());
    }
    by_rank_.push_back(Ranked{user, account});
    rank_of_.push_back(static_cast<std::uint32_t>(by_rank_.size()));
    for (DataClassId cls : u.preload) access_.preload(cls, account, ++next_value_);
  }
  for (const BusinessParams& b : params_.businesses) {
    for (const Step& s : b.steps) {
      for (std::size_t dc = 0; dc < s.initial_per_dc.size(); ++dc) {
        access_.preload(s.data_class, s.fixed_key + dc, s.initial_per_dc[dc]);
      }
    }
  }
  for (std::uint32_t b = 0; b < businesses_.size(); ++b) {
    schedule_arrival(BusinessId{b}, engine_.now());
  }
}

void Workload::schedule_arrival(BusinessId b, sim::Time after) {
  Business& bus = businesses_[b.value];
  const sim::Time t = bus.arrivals.next(after, bus.arrival_rng);
  if (t == sim::Time::max() || t > params_.end) return;
  engine_.schedule_at(t, [this, b] { on_arrival(b); });
  draw_ahead(bus);
}

void Workload::draw_ahead(Business& bus) {
  // Why: at production sizes the Zipf-drawn user's entry in by_rank_ is a cache miss at every
  // arrival (half of the arrival's time in the 1-hour profile). Drawn here, the entry is fetched
  // while the events before the arrival run. The draw is the one the arrival would make with the
  // same number of users; if a registration changes that number in between, user_rng is put back
  // and the arrival draws afresh (user_rng serves nothing else), so every draw, and so every
  // result, is what drawing at the arrival gives. (Hinting the drawn user's rows as well, with a
  // second draw ahead, measured no gain: stop 38.)
  const std::uint64_t n = by_rank_.size();
  if (bus.registers || bus.ahead || n == 0) return;
  bus.before_ahead = bus.user_rng;
  bus.ahead_rank = sampler(bus, n).sample(bus.user_rng);
  bus.ahead = true;
  __builtin_prefetch(by_rank_.data() + (bus.ahead_rank - 1));
}

std::uint64_t Workload::draw_rank(Business& bus, std::uint64_t n) {
  if (bus.ahead) {
    bus.ahead = false;
    if (bus.zipf->n() == n) return bus.ahead_rank;
    bus.user_rng = bus.before_ahead;
  }
  return sampler(bus, n).sample(bus.user_rng);
}

const ZipfSampler& Workload::sampler(Business& bus, std::uint64_t n) {
  if (!bus.zipf || bus.zipf->n() != n) bus.zipf.emplace(n, bus.params.zipf_exponent);
  return *bus.zipf;
}

void Workload::on_arrival(BusinessId b) {
  begin_op(b, std::nullopt);
  schedule_arrival(b, engine_.now());
}

bool Workload::submit(BusinessId business, std::optional<std::uint64_t> user) {
  if (business.value >= businesses_.size()) {
    throw InvalidArgument("workload: business " + str(business.value) + " is unknown");
  }
  if (user && !businesses_[business.value].registers && !registered(*user)) {
    throw InvalidArgument("workload: user " + str(*user) + " is not registered");
  }
  return begin_op(business, user);
}

bool Workload::begin_op(BusinessId b, std::optional<std::uint64_t> chosen) {
  ++stats_.arrivals;
  Business& bus = businesses_[b.value];
  std::uint64_t user = 0;
  std::uint64_t account_id = 0;  // a registering user has none until the op succeeds
  if (bus.registers) {
    if (rank_of_.size() < params_.users.max) {
      user = rank_of_.size();
      rank_of_.push_back(0);
    } else {
      ++stats_.dropped_arrivals;
      return false;
    }
  } else if (chosen) {
    user = *chosen;
    account_id = account(user);
  } else {
    const std::uint64_t n = by_rank_.size();
    if (n == 0) {
      ++stats_.dropped_arrivals;
      return false;
    }
    const Ranked& r = by_rank_[draw_rank(bus, n) - 1];
    user = r.user;
    account_id = r.account;
  }
  std::uint32_t index = 0;
  if (free_ops_.empty()) {
    index = static_cast<std::uint32_t>(ops_.size());
    ops_.emplace_back();
  } else {
    index = free_ops_.back();
    free_ops_.pop_back();
  }
  Op& op = ops_[index];
  const std::uint32_t serial = op.wait_serial;
  op = Op{};
  op.wait_serial = serial;
  op.self = index;
  op.business = b;
  op.user = user;
  op.account = account_id;
  op.home = routing_.home(user);
  op.start = engine_.now();
  if (bus.params.roaming > 0 && dc_count_ > 1 && bus.roam_rng.bernoulli(bus.params.roaming)) {
    const auto other = static_cast<std::uint32_t>(bus.roam_rng.below(dc_count_ - 1));
    op.roaming = true;
    op.roam_dc = DcId{other >= op.home.value ? other + 1 : other};
  }
  ++stats_.in_flight;
  if (stats_.in_flight > stats_.peak_in_flight) stats_.peak_in_flight = stats_.in_flight;
  start_attempt(index);
  return true;
}

void Workload::start_attempt(std::uint32_t index) {
  Op& op = ops_[index];
  ++op.attempts;
  op.step = 0;
  op.paid = 0;
  op.new_id = 0;
  op.returned = false;
  op.creating_session = false;
  op.dc = op.roaming && gslb_.believed_up(op.roam_dc) ? op.roam_dc : gslb_.route(op.home);
  op.inbound = op.dc != op.home;
  op.deadline = engine_.now() + params_.client.timeout;
  if (!access_.dc_up(op.dc)) {
    fail_attempt(index, FailureCause::kDcDown);
    return;
  }
  run_steps(index);
}

void Workload::resume(std::uint32_t index) {
  if (!access_.dc_up(ops_[index].dc)) {
    fail_attempt(index, FailureCause::kDcDown);
    return;
  }
  run_steps(index);
}

sim::Duration Workload::draw(const sim::Distribution& d, DataClassId cls) {
  const double ns = d.sample(service_rngs_[cls.value]);
  return ns > 0 ? sim::Duration(sim::round_half_away(ns)) : sim::Duration::zero();
}

sim::Duration Workload::local_time(const Step& step) {
  const WorkloadDataClass& c = params_.data_classes[step.data_class.value];
  switch (step.kind) {
    case StepKind::kAllocateId:
      return sim::Duration::zero();
    case StepKind::kRead:
    case StepKind::kSession:
      return draw(c.read_time, step.data_class);
    case StepKind::kWrite:
    case StepKind::kDecrement:
      return draw(c.write_time, step.data_class);
  }
  return sim::Duration::zero();
}

sim::Duration Workload::access_latency(DcId home, DcId dc) const {
  return access_latency_[home.value * dc_count_ + dc.value];
}

void Workload::wait_then(std::uint32_t index, sim::Duration wait, FailureCause cause) {
  const Op& op = ops_[index];
  if (wait > op.deadline - engine_.now()) {
    engine_.schedule_at(op.deadline,
                        [this, index] { fail_attempt(index, FailureCause::kTimeout); });
  } else if (cause == FailureCause::kNone) {
    engine_.schedule_in(wait, [this, index] { resume(index); });
  } else {
    engine_.schedule_in(wait, [this, index, cause] { fail_attempt(index, cause); });
  }
}

void Workload::run_steps(std::uint32_t index) {
  const std::vector<Step>& steps = businesses_[ops_[index].business.value].params.steps;
  const auto n = static_cast<std::uint32_t>(steps.size());
  while (ops_[index].step < n) {
    Op& op = ops_[index];
    // Pay, in one wait, the access leg of an off-home attempt and the local service time of the
    // run of steps from here to the next id allocation (free locally; it may call another DC).
    if (op.inbound || (op.step >= op.paid && steps[op.step].kind != StepKind::kAllocateId)) {
      sim::Duration wait;
      if (op.inbound) {
        op.inbound = false;
        wait += access_latency(op.home, op.dc);
      }
      if (op.step >= op.paid) {
        std::uint32_t k = op.step;
        for (; k < n && (k == op.step || steps[k].kind != StepKind::kAllocateId); ++k) {
          wait += local_time(steps[k]);
        }
        prefetch_steps(op, op.step, k);
        op.paid = k;
      }
      if (wait > sim::Duration::zero()) {
        wait_then(index, wait, FailureCause::kNone);
        return;
      }
    }
    const StepResult r = run_step(op, steps[op.step]);
    if (!r.repeat) ++op.step;
    if (r.no_answer) {
      wait_then(index, sim::Duration::max(), FailureCause::kNone);
      return;
    }
    if (r.await_ack) {
      // A wait that came with it (a lender's round trips) still elapses before the op goes on.
      op.not_before = engine_.now() + std::min(r.wait, op.deadline - engine_.now());
      await_ack(index);
      return;
    }
    if (r.wait > sim::Duration::zero()) {
      wait_then(index, r.wait, r.cause);
      return;
    }
    if (r.cause != FailureCause::kNone) {
      fail_attempt(index, r.cause);
      return;
    }
  }
  reply(index);
}

void Workload::reply(std::uint32_t index) {
  Op& op = ops_[index];
  if (op.dc != op.home && !op.returned) {
    // The answer travels back to the user's city; the serving DC has already sent it.
    op.returned = true;
    const sim::Duration back = access_latency(op.dc, op.home);
    if (back > sim::Duration::zero()) {
      if (back > op.deadline - engine_.now()) {
        engine_.schedule_at(op.deadline,
                            [this, index] { fail_attempt(index, FailureCause::kTimeout); });
      } else {
        engine_.schedule_in(back, [this, index] { finish(index, FailureCause::kNone); });
      }
      return;
    }
  }
  finish(index, FailureCause::kNone);
}

void Workload::await_ack(std::uint32_t index) {
  Op& op = ops_[index];
  op.waiting = true;
  op.deadline_timer = engine_.schedule_at(op.deadline, [this, index] { ack_deadline(index); });
}

void Workload::ack_deadline(std::uint32_t index) {
  Op& op = ops_[index];
  op.waiting = false;
  ++op.wait_serial;  // a settlement arriving later is for a wait that is over
  fail_attempt(index, FailureCause::kTimeout);
}

void Workload::commit_settled(std::uint64_t ticket, bool acknowledged) {
  const auto index = static_cast<std::uint32_t>(ticket >> 32);
  const auto serial = static_cast<std::uint32_t>(ticket);
  if (index >= ops_.size()) return;
  Op& op = ops_[index];
  if (!op.waiting || op.wait_serial != serial) return;
  op.waiting = false;
  ++op.wait_serial;
  engine_.cancel(op.deadline_timer);
  // Settlements come from inside a channel's or the log's event: go on in an event of our own.
  const sim::Time at = std::max(engine_.now(), op.not_before);
  if (acknowledged) {
    engine_.schedule_at(at, [this, index] { resume(index); });
  } else {
    engine_.schedule_at(at, [this, index] { fail_attempt(index, FailureCause::kTimeout); });
  }
}

Workload::StepResult Workload::run_step(Op& op, const Step& step) {
  switch (step.kind) {
    case StepKind::kAllocateId:
      return allocate_id(op, step);
    case StepKind::kRead:
      return read(op, step);
    case StepKind::kWrite:
      return write(op, step);
    case StepKind::kSession:
      return session(op, step);
    case StepKind::kDecrement:
      return decrement(op, step);
  }
  return {};
}

void Workload::prefetch_steps(const Op& op, std::uint32_t from, std::uint32_t to) const {
  // Why: at production sizes the rows and versions of a random user are cache misses; started
  // now, they overlap the events that run while the op waits (the order of steps, RNG draws and
  // results does not depend on it).
  const std::vector<Step>& steps = businesses_[op.business.value].params.steps;
  for (std::uint32_t i = from; i < to; ++i) {
    const Step& step = steps[i];
    if (step.kind == StepKind::kAllocateId) continue;
    if (step.key == KeyChoice::kNewId && op.new_id == 0) continue;
    const std::uint64_t key = key_of(op, step, op.dc);
    access_.prefetch(op.dc, step.data_class, key);
    truth_.prefetch(step.data_class, key);
  }
}

std::uint64_t Workload::key_of(const Op& op, const Step& step, DcId dc) const {
  switch (step.key) {
    case KeyChoice::kAccount:
      return op.account;
    case KeyChoice::kNewId:
      return op.new_id;
    case KeyChoice::kFixed:
      return step.fixed_key;
    case KeyChoice::kPerDc:
      return step.fixed_key + dc.value;
  }
  return 0;
}

CommitResult Workload::commit(const Op& op, DcId dc, DataClassId cls, WriteKind kind,
                              std::uint64_t key, std::uint64_t value) {
  const std::uint64_t ticket = (std::uint64_t{op.self} << 32) | op.wait_serial;
  const CommitResult r = access_.commit(dc, cls, kind, key, value, ticket);
  DataClassCounts& c = class_counts_[cls.value];
  if (r.result != ApplyResult::kApplied) {
    ++c.rejected_commits;
    return r;
  }
  ++c.commits;
  truth_.record(cls, key, r.version, engine_.now(), kind == WriteKind::kDelete);
  return r;
}

namespace {

FailureCause cause_of(ApplyResult r) {
  switch (r) {
    case ApplyResult::kApplied:
      return FailureCause::kNone;
    case ApplyResult::kDuplicateKey:
      return FailureCause::kDuplicate;
    case ApplyResult::kMissingRow:
      return FailureCause::kMissing;
    case ApplyResult::kSkipped:
    case ApplyResult::kStale:
      break;
  }
  return FailureCause::kStale;  // not returned by a local commit; the write did not land
}

bool live(const std::optional<Row>& row) { return row && !row->deleted; }

}  // namespace

Workload::StepResult Workload::allocate_id(Op& op, const Step& step) {
  IdAllocator& a = *allocators_[step.data_class.value];
  const std::optional<DcId> reach = a.must_reach(op.dc);
  const DcId at = a.authority().value_or(op.dc);
  if (!reach || *reach == op.dc) {
    op.new_id = a.allocate(at, engine_.now());
    return {};
  }
  if (!access_.dc_up(*reach)) return StepResult::never();
  const std::optional<sim::Duration> rtt = access_.call(op.dc, *reach);
  if (!rtt) return StepResult::never();
  // The request reaches the allocator (or segment table), which hands out the id (or segment)
  // even if the answer comes too late.
  op.new_id = a.allocate(at, engine_.now());
  return StepResult::after(FailureCause::kNone, *rtt);
}

Workload::StepResult Workload::read(Op& op, const Step& step) {
  const std::uint64_t key = key_of(op, step, op.dc);
  const std::optional<Row> row = access_.read(op.dc, step.data_class, key);
  DataClassCounts& c = class_counts_[step.data_class.value];
  ++c.reads;
  if (!live(row)) {
    ++c.missing_reads;
    if (fallback_of_[step.data_class.value] >= 0) return fallback_read(op, step, key);
    return StepResult::after(step.fail_if_missing ? FailureCause::kMissing : FailureCause::kNone);
  }
  return judge_read(step, key, *row);
}

Workload::StepResult Workload::judge_read(const Step& step, std::uint64_t key, const Row& row) {
  if (truth_.stale(step.data_class, key, row.version, engine_.now())) {
    ++class_counts_[step.data_class.value].stale_reads;
  }
  const Committed* latest = truth_.latest(step.data_class, key);
  if (step.fail_if_stale && latest != nullptr && newer(latest->version(), row.version)) {
    return StepResult::after(FailureCause::kStale);
  }
  return {};
}

Workload::StepResult Workload::fallback_read(const Op& op, const Step& step, std::uint64_t key) {
  const FallbackParams& f = params_.fallback[fallback_of_[step.data_class.value]];
  const FailureCause miss = step.fail_if_missing ? FailureCause::kMissing : FailureCause::kNone;
  const DcId owner = f.fixed_owner ? f.owner : op.home;
  if (owner == op.dc) return StepResult::after(miss);  // the owner itself has no row
  FallbackCounts& counts = fallback_counts_[step.data_class.value];
  ++counts.calls;
  if (!access_.dc_up(owner)) {
    ++counts.owner_down;
    return StepResult::after(miss);
  }
  const std::optional<sim::Duration> rtt = access_.fallback_call(step.data_class, op.dc, owner);
  // The owner's API reads its own store: the call costs the round trip plus that read.
  const sim::Duration took =
      rtt ? *rtt + draw(params_.data_classes[step.data_class.value].read_time, step.data_class)
          : sim::Duration::max();
  if (took > f.timeout) {
    ++counts.unreachable;
    return StepResult::after(miss, f.timeout);
  }
  counts.latency_ns.record(took.ns());
  const std::optional<Row> remote = access_.read(owner, step.data_class, key);
  if (!live(remote)) {
    ++counts.not_found;
    return StepResult::after(miss, took);
  }
  ++counts.found;
  StepResult r = judge_read(step, key, *remote);
  r.wait = took;
  return r;
}

namespace {

// The step's verdict on a commit: its failure cause, and whether the op must wait for the
// commit's acknowledgement.
FailureCause commit_cause(const CommitResult& r) { return cause_of(r.result); }
bool awaits(const CommitResult& r) { return r.result == ApplyResult::kApplied && !r.acknowledged; }

}  // namespace

Workload::StepResult Workload::write(Op& op, const Step& step) {
  const std::uint64_t key = key_of(op, step, op.dc);
  WriteKind kind = WriteKind::kUpdate;
  switch (step.write) {
    case WriteMode::kInsert:
      kind = WriteKind::kInsert;
      break;
    case WriteMode::kUpdate:
      kind = WriteKind::kUpdate;
      break;
    case WriteMode::kDelete:
      kind = WriteKind::kDelete;
      break;
    case WriteMode::kUpsert:
      kind =
          live(access_.read(op.dc, step.data_class, key)) ? WriteKind::kUpdate : WriteKind::kInsert;
      break;
  }
  const CommitResult r = commit(op, op.dc, step.data_class, kind, key, ++next_value_);
  StepResult out = StepResult::after(commit_cause(r));
  out.await_ack = awaits(r);
  return out;
}

Workload::StepResult Workload::session(Op& op, const Step& step) {
  const std::uint64_t key = key_of(op, step, op.dc);
  if (op.creating_session) {
    // Second entry: the session's write time has passed; create it now.
    op.creating_session = false;
    const CommitResult r =
        commit(op, op.dc, step.data_class, WriteKind::kInsert, key, ++next_value_);
    StepResult out = StepResult::after(commit_cause(r));
    out.await_ack = awaits(r);
    return out;
  }
  if (live(access_.read(op.dc, step.data_class, key))) return {};
  if (latest_commit(step.data_class, key).valid()) {
    // The user had a session somewhere, not here: they must log in again (a cost, not a loss).
    ++business_counts_[op.business.value].forced_relogins;
    ++class_counts_[step.data_class.value].regenerated;
    ++dc_counts_[op.dc.value].forced_relogins;
    if (sink_ != nullptr) sink_->on_forced_relogin(op.business, op.user, op.dc, engine_.now());
  }
  // Creating the session is a write: pay its time, then run this step again to commit it.
  op.creating_session = true;
  StepResult out;
  out.wait = draw(params_.data_classes[step.data_class.value].write_time, step.data_class);
  out.repeat = true;
  return out;
}

Workload::StepResult Workload::decrement(Op& op, const Step& step) {
  const std::uint64_t key = key_of(op, step, op.dc);
  const std::optional<Row> row = access_.read(op.dc, step.data_class, key);
  if (live(row) && row->value > 0) {
    const CommitResult r =
        commit(op, op.dc, step.data_class, WriteKind::kUpdate, key, row->value - 1);
    StepResult out = StepResult::after(commit_cause(r));
    out.await_ack = awaits(r);
    return out;
  }
  if (!step.borrow) return StepResult::after(FailureCause::kExhausted);
  // Ask the other cities in DC order after this one; each call costs its round trip and the
  // lender's conditional decrement (a write there).
  const sim::Distribution& write_time = params_.data_classes[step.data_class.value].write_time;
  sim::Duration spent;
  for (std::size_t i = 1; i < dc_count_; ++i) {
    const DcId lender{static_cast<std::uint32_t>((op.dc.value + i) % dc_count_)};
    if (!access_.dc_up(lender)) continue;
    const std::optional<sim::Duration> rtt = access_.call(op.dc, lender);
    if (!rtt) continue;
    spent += *rtt + draw(write_time, step.data_class);
    const std::uint64_t lender_key = key_of(op, step, lender);
    const std::optional<Row> lender_row = access_.read(lender, step.data_class, lender_key);
    if (live(lender_row) && lender_row->value > 0) {
      const CommitResult r = commit(op, lender, step.data_class, WriteKind::kUpdate, lender_key,
                                    lender_row->value - 1);
      StepResult out = StepResult::after(commit_cause(r), spent);
      out.await_ack = awaits(r);
      return out;
    }
  }
  return StepResult::after(FailureCause::kExhausted, spent);
}

void Workload::fail_attempt(std::uint32_t index, FailureCause cause) {
  Op& op = ops_[index];
  const int retries_done = static_cast<int>(op.attempts) - 1;
  if (!retriable(cause) || retries_done >= params_.client.max_retries) {
    finish(index, cause);
    return;
  }
  ++business_counts_[op.business.value].retries;
  ++dc_counts_[op.dc.value].retries;
  if (sink_ != nullptr) sink_->on_retry(outcome(op, cause));
  const double factor = std::pow(params_.client.backoff_multiplier, retries_done);
  const auto wait =
      sim::Duration(std::llround(static_cast<double>(params_.client.backoff.ns()) * factor));
  engine_.schedule_in(wait, [this, index] { start_attempt(index); });
}

OpOutcome Workload::outcome(const Op& op, FailureCause cause) const {
  OpOutcome o;
  o.business = op.business;
  o.user = op.user;
  o.home = op.home;
  o.dc = op.dc;
  o.start = op.start;
  o.end = engine_.now();
  o.attempts = op.attempts;
  o.cause = cause;
  return o;
}

void Workload::finish(std::uint32_t index, FailureCause cause) {
  Op& op = ops_[index];
  const OpOutcome o = outcome(op, cause);
  for (OutcomeCounts* c : {&business_counts_[op.business.value], &dc_counts_[op.dc.value]}) {
    ++c->attempted;
    if (cause == FailureCause::kNone) {
      ++c->succeeded;
    } else {
      ++c->failed;
      ++c->by_cause[static_cast<std::size_t>(cause)];
    }
  }
  // A failed register's id is never used again: that person gave up, and the next register is
  // someone else, whose home DC the routing rule draws afresh.
  if (businesses_[op.business.value].registers && cause == FailureCause::kNone) {
    by_rank_.push_back(Ranked{op.user, op.new_id});
    rank_of_[op.user] = static_cast<std::uint32_t>(by_rank_.size());
  }
  engine_.mix_fingerprint((std::uint64_t{op.business.value} << 40) ^
                          (std::uint64_t{static_cast<std::uint8_t>(cause)} << 32) ^ op.user);
  --stats_.in_flight;
  free_ops_.push_back(index);
  if (sink_ != nullptr) sink_->on_op(o);
}

void Workload::observe_replicated(DataClassId cls, DcId dc, std::uint64_t id) {
  if (cls.value < allocators_.size() && allocators_[cls.value]) {
    allocators_[cls.value]->observe_replicated(dc, id);
  }
}

std::uint64_t Workload::account(std::uint64_t user) const {
  if (!registered(user)) {
    throw InvalidArgument("workload: user " + str(user) + " is not registered");
  }
  return by_rank_[rank_of_[user] - 1].account;
}

const IdAllocator* Workload::allocator(DataClassId cls) const {
  return cls.value < allocators_.size() ? allocators_[cls.value].get() : nullptr;
}

Version Workload::latest_commit(DataClassId cls, std::uint64_t key) const {
  if (cls.value >= params_.data_classes.size()) return {};
  const Committed* c = truth_.latest(cls, key);
  return c == nullptr ? Version{} : c->version();
}

const FallbackCounts& Workload::fallback_counts(DataClassId cls) const {
  if (cls.value >= fallback_counts_.size()) {
    throw InvalidArgument("workload: data class " + str(cls.value) + " is unknown");
  }
  return fallback_counts_[cls.value];
}

const OutcomeCounts& Workload::business_counts(BusinessId b) const {
  if (b.value >= business_counts_.size()) {
    throw InvalidArgument("workload: business " + str(b.value) + " is unknown");
  }
  return business_counts_[b.value];
}

const OutcomeCounts& Workload::dc_counts(DcId dc) const {
  if (dc.value >= dc_counts_.size()) {
    throw InvalidArgument("workload: DC " + str(dc.value) + " is unknown");
  }
  return dc_counts_[dc.value];
}

const DataClassCounts& Workload::data_class_counts(DataClassId cls) const {
  if (cls.value >= class_counts_.size()) {
    throw InvalidArgument("workload: data class " + str(cls.value) + " is unknown");
  }
  return class_counts_[cls.value];
}

const ArrivalProcess& Workload::arrivals(BusinessId b) const {
  if (b.value >= businesses_.size()) {
    throw InvalidArgument("workload: business " + str(b.value) + " is unknown");
  }
  return businesses_[b.value].arrivals;
}

}  // namespace geodes::models
