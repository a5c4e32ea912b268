#include "geodes/app/summary_text.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include "geodes/app/lag_summary.hpp"
#include "geodes/app/text_format.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::app {

namespace {

constexpr std::size_t kMaxFaultRows = 10;

// Appends `text` as one line, cut to the summary width.
void line(std::string& out, std::string_view text) {
  std::string cut = fit(text, kSummaryWidth);
  while (!cut.empty() && cut.back() == ' ') cut.pop_back();
  out += cut;
  out += '\n';
}

// A table with a left-aligned name column and right-aligned value columns. The first two columns
// hold the '!' marker of flagged rows.
class Table {
 public:
  struct Column {
    const char* header;
    std::size_t width;  // including the spaces that separate it from the previous column
    bool left = false;  // left-aligned (text) rather than right-aligned (numbers)
  };

  Table(std::string title, std::size_t name_width, std::vector<Column> columns)
      : title_(std::move(title)), name_width_(name_width), columns_(std::move(columns)) {}

  void add(bool flagged, std::string_view name, std::vector<std::string> cells) {
    std::string row = flagged ? "! " : "  ";
    row += pad_right(name, name_width_);
    for (std::size_t i = 0; i < columns_.size() && i < cells.size(); ++i) {
      row += cell(columns_[i], cells[i]);
    }
    rows_.push_back(std::move(row));
  }

  void append_to(std::string& out) const {
    if (rows_.empty()) return;
    std::string header = pad_right(title_, name_width_ + 2);
    for (const Column& c : columns_) header += cell(c, c.header);
    line(out, header);
    for (const std::string& row : rows_) line(out, row);
    out += '\n';
  }

 private:
  // Keeps at least one space (two before text) between cells even when a value is too wide.
  static std::string cell(const Column& c, std::string_view text) {
    if (c.left) return "  " + pad_right(text, c.width - 2);
    return pad_left(fit(text, c.width - 1), c.width);
  }

  std::string title_;
  std::size_t name_width_;
  std::vector<Column> columns_;
  std::vector<std::string> rows_;
};

std::string seconds(double s) {
  if (!std::isfinite(s)) return s > 0 ? "inf" : "-";
  return sim::format(sim::Duration::from_seconds(s));
}

std::string short_seconds(double s) { return format_short_duration(s * 1e9); }

std::string rto(double rto_s) {
  if (std::isnan(rto_s) || rto_s < 0) return "-";
  return std::isfinite(rto_s) ? short_seconds(rto_s) : "never";
}

std::string amount(double v) {
  if (!std::isfinite(v) || std::fabs(v) >= 1e18) return std::isnan(v) ? "-" : "huge";
  if (v < 0) return "-" + format_count(static_cast<std::uint64_t>(std::llround(-v)));
  return format_count(static_cast<std::uint64_t>(std::llround(v)));
}

std::string exact(std::uint64_t n) { return format_count_exact(n); }

bool never_recovered(const models::BusinessResult& b) { return b.rto_s > 0 && std::isinf(b.rto_s); }

bool inconsistent(const models::DataClassResult& d) {
  return d.lost > 0 || d.stale_reads > 0 || d.divergent_keys > 0 || d.order_violations > 0 ||
         d.uniqueness_conflicts > 0;
}

// Share of users the design allows to be affected.
double allowed_affected_ratio(const models::CompensationResult& c) { return 1.0 - c.target_ratio; }

bool over_target(const models::CompensationResult& c) {
  // The tolerance keeps 1 - 0.9999 (= 0.000099999999999989) from flagging exactly 1 in 10,000.
  return c.affected_users > 0 && c.affected_ratio() > allowed_affected_ratio(c) + 1e-12;
}

void header(std::string& out, const models::RunResults& r) {
  char fingerprint[17];
  std::snprintf(fingerprint, sizeof fingerprint, "%016" PRIx64, r.fingerprint);
  line(out, r.scenario + "  seed " + std::to_string(r.seed) + "  " + seconds(r.sim_time_s) +
                " simulated  fingerprint " + fingerprint);
  if (!r.complete) {
    const bool oom = r.stopped_by.rfind("out of memory", 0) == 0;
    line(out, std::string(oom ? "! OUT OF MEMORY" : "! INTERRUPTED") +
                  ": the run stopped early; results cover only the time simulated.");
  }
  out += '\n';
}

void businesses(std::string& out, const models::RunResults& r) {
  // p50 and p99 are the op latency of succeeded ops: what each design costs the user.
  Table t("Businesses", 17,
          {{"attempted", 10},
           {"succeeded", 10},
           {"success", 9},
           {"p50", 8},
           {"p99", 8},
           {"RTO", 8},
           {"cost", 8}});
  for (const models::BusinessResult& b : r.businesses) {
    const LagSummary latency = summarize_lag(b.latency_ns);
    t.add(never_recovered(b), b.name,
          {format_count(b.attempted), format_count(b.succeeded), format_percent(b.success_ratio()),
           format_short_duration(latency.p50_ns), format_short_duration(latency.p99_ns),
           rto(b.rto_s), amount(b.cost)});
  }
  t.append_to(out);
}

void lag(std::string& out, const models::RunResults& r) {
  Table t("Replication lag", 26,
          {{"writes", 10}, {"p50", 8}, {"p99", 8}, {"p999", 8}, {"max", 8}, {">bound", 8}});
  for (const models::DataClassResult& d : r.data) {
    const LagSummary s = summarize_lag(d.lag_ns);
    t.add(false, d.name,
          {format_count(d.writes), format_short_duration(s.p50_ns), format_short_duration(s.p99_ns),
           format_short_duration(s.p999_ns), format_short_duration(s.max_ns),
           format_count(d.bound_violations)});
  }
  t.append_to(out);
}

void consistency(std::string& out, const models::RunResults& r) {
  Table t("Loss/consistency", 16,
          {{"lost", 7},
           {"recov", 7},
           {"stale", 7},
           {"diverg", 7},
           {"order", 7},
           {"uniq", 7},
           {"regen", 7},
           {"RPO", 8}});
  for (const models::DataClassResult& d : r.data) {
    t.add(inconsistent(d), d.name,
          {format_count(d.lost), format_count(d.recovered), format_count(d.stale_reads),
           format_count(d.divergent_keys), format_count(d.order_violations),
           format_count(d.uniqueness_conflicts), format_count(d.regenerated),
           d.lost > 0 ? short_seconds(d.rpo_s) : "-"});
  }
  t.append_to(out);
}

void channels(std::string& out, const models::RunResults& r) {
  Table t("Channels", 22,
          {{"delivered", 10}, {"dups", 7}, {"lost", 7}, {"p99", 8}, {"stopped", 9}, {"discon", 9}});
  for (const models::ChannelResult& c : r.channels) {
    t.add(c.lost_in_transit > 0, c.name,
          {format_count(c.delivered), format_count(c.duplicates), format_count(c.lost_in_transit),
           format_short_duration(summarize_lag(c.lag_ns).p99_ns),
           c.stopped_s > 0 ? short_seconds(c.stopped_s) : "0",
           c.disconnected_s > 0 ? short_seconds(c.disconnected_s) : "0"});
  }
  t.append_to(out);
}

void faults(std::string& out, const models::RunResults& r) {
  if (r.faults.empty()) return;
  // The detail column takes what is left of the line.
  Table t("Faults", 14, {{"target", 22, true}, {"start", 9}, {"end", 9}, {"detail", 24, true}});
  for (std::size_t i = 0; i < r.faults.size() && i < kMaxFaultRows; ++i) {
    const models::FaultRecord& f = r.faults[i];
    t.add(false, f.type,
          {f.target, short_seconds(f.start_s), f.end_s >= 0 ? short_seconds(f.end_s) : "never",
           f.detail});
  }
  if (r.faults.size() > kMaxFaultRows) {
    t.add(false, "...", {"and " + std::to_string(r.faults.size() - kMaxFaultRows) + " more"});
  }
  t.append_to(out);
}

void compensation(std::string& out, const models::RunResults& r) {
  const models::CompensationResult& c = r.compensation;
  if (c.users == 0 && c.affected_users == 0 && c.cost == 0) return;
  line(out, std::string(over_target(c) ? "! " : "") +
                "Compensation: " + format_count(c.affected_users) + " of " + format_count(c.users) +
                " users affected (" + format_percent(c.affected_ratio()) + ", allowed " +
                format_percent(allowed_affected_ratio(c)) + "), cost " + amount(c.cost));
  out += '\n';
}

void findings(std::string& out, const models::RunResults& r) {
  std::vector<std::string> found;
  for (const models::BusinessResult& b : r.businesses) {
    if (never_recovered(b)) found.push_back(b.name + ": success ratio never back at target");
  }
  for (const models::DataClassResult& d : r.data) {
    if (d.lost > 0) {
      found.push_back(d.name + ": " + exact(d.lost) + " acknowledged writes lost (RPO " +
                      short_seconds(d.rpo_s) + ")");
    }
    if (d.stale_reads > 0) found.push_back(d.name + ": " + exact(d.stale_reads) + " stale reads");
    if (d.divergent_keys > 0) {
      found.push_back(d.name + ": " + exact(d.divergent_keys) + " keys differ between DCs");
    }
    if (d.order_violations > 0) {
      found.push_back(d.name + ": " + exact(d.order_violations) +
                      " order violations (newer replaced by older)");
    }
    if (d.uniqueness_conflicts > 0) {
      found.push_back(d.name + ": " + exact(d.uniqueness_conflicts) +
                      " uniqueness conflicts (one value, two entities)");
    }
  }
  for (const models::ChannelResult& c : r.channels) {
    if (c.lost_in_transit > 0) {
      found.push_back(c.name + ": " + exact(c.lost_in_transit) + " messages lost in transit");
    }
  }
  if (over_target(r.compensation)) {
    found.push_back("compensation: " + format_percent(r.compensation.affected_ratio()) +
                    " of users affected, above the allowed " +
                    format_percent(allowed_affected_ratio(r.compensation)));
  }
  if (found.empty()) {
    line(out, "Findings: no data lost, no inconsistency.");
  } else {
    line(out, "Findings:");
    for (const std::string& f : found) line(out, "  ! " + f);
  }
}

void footer(std::string& out, const models::RunResults& r) {
  std::string text = exact(r.events) + " events, " + seconds(r.sim_time_s) + " simulated in " +
                     seconds(r.wall_s) + " wall";
  if (r.wall_s > 0 && std::isfinite(r.sim_time_s) && r.sim_time_s / r.wall_s < 1e18) {
    const double speed = r.sim_time_s / r.wall_s;
    char buf[32];
    if (speed >= 100) {
      text += " (" + format_count(static_cast<std::uint64_t>(std::llround(speed))) + "x";
    } else {
      std::snprintf(buf, sizeof buf, "%.3g", speed);
      text += std::string(" (") + buf + "x";
    }
    text += " real time)";
  }
  line(out, text);
}

}  // namespace

std::string summary_text(const models::RunResults& results) {
  std::string out;
  header(out, results);
  businesses(out, results);
  lag(out, results);
  consistency(out, results);
  channels(out, results);
  faults(out, results);
  compensation(out, results);
  findings(out, results);
  out += '\n';
  footer(out, results);
  return out;
}

}  // namespace geodes::app
