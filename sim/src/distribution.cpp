#include "geodes/sim/distribution.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exponential_ziggurat.hpp"
#include "geodes/sim/names.hpp"

// Sampling algorithms. These are part of the determinism contract (see the header): each one
// consumes a fixed, documented number of draws from the stream, in a fixed order, and turns them
// into a value with a fixed formula. Changing any line below changes every golden fingerprint.
//
//   constant     a; consumes no draws.
//   uniform      low + (high - low) * u, u = rng.uniform01() in [0, 1); 1 draw.
//   exponential  mean * z, z standard exponential by the ziggurat of Marsaglia and Tsang (2000)
//                with 256 layers (tables in exponential_ziggurat.hpp): bits = rng.next_u64(),
//                layer i = bits & 255, z = ((bits >> 11) * 2^-53) * X[i]; z < X[i+1] is
//                accepted at once (98.9% of draws: 1 draw). Otherwise layer 0 is the tail:
//                z = R - ln(rng.uniform_open0()); another layer takes y = F[i] + (F[i+1] - F[i]) *
//                rng.uniform01() and accepts z if y < exp(-z), else starts over. So 1 draw, rarely
//                more. (-mean ln(u) would cost a logarithm per draw: 5% of a replication run.)
//   normal       Box-Muller, cosine branch only, no caching of the sine partner:
//                  u1 = rng.uniform_open0(), then u2 = rng.uniform01(),
//                  z = sqrt(-2 ln u1) * cos(2 pi u2), value = mean + sd * z; exactly 2 draws.
//                Dropping the sine partner wastes half the work but makes every draw independent of
//                the previous one, so a component's n-th value never depends on whether some other
//                code path happened to take an odd number of normals before it.
//   lognormal    exp(mu + sigma * z) with z drawn exactly as for normal; exactly 2 draws.
//   pareto       scale * u^(-1/shape), u = rng.uniform_open0(); 1 draw (u = 1 gives scale).
//   empirical    samples[rng.below(n)] in the order the caller gave them; below() is Lemire's
//                unbiased method, which takes 1 draw and rarely (probability < n / 2^64) more.
//
// The formulas use std::log, std::exp, std::pow, std::cos and std::sqrt. sqrt is exact under
// IEEE 754; the others are correctly rounded in current glibc for almost all inputs, but the C++
// standard does not require it, so bit-identity across different C libraries rests on them.

namespace geodes::sim {

namespace {

using Kind = Distribution::Kind;

constexpr double kInf = std::numeric_limits<double>::infinity();

// z such that Phi(z) = 0.99; fixed here (not computed) so lognormal_median_p99 does not depend on
// the accuracy of inverse_normal_cdf.
constexpr double kZ99 = 2.3263478740408408;

// Inverse of the standard normal CDF for 0 < p <= 0.5, by P. J. Acklam's rational approximation
// (relative error below 1.15e-9) followed by one Halley step on Phi(x) - p, with Phi from
// std::erfc. Halley's method converges cubically, so one step brings the error to the accuracy of
// erfc and double rounding (about 1e-15 relative for moderate p; the tests check Phi(q(p)) = p
// to 1e-12 relative for p from 1e-300 to 0.5, and published quantiles to 1e-9). Only the
// lower half is computed directly because there Phi(x) = erfc(-x / sqrt 2) / 2 is small and erfc
// keeps full relative precision; the upper half follows by symmetry (1 - p is exact for p >= 0.5).
double inverse_normal_cdf_lower(double p) {
  static constexpr std::array<double, 6> kA{-3.969683028665376e+01, 2.209460984245205e+02,
                                            -2.759285104469687e+02, 1.383577518672690e+02,
                                            -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr std::array<double, 5> kB{-5.447609879822406e+01, 1.615858368580409e+02,
                                            -1.556989798598866e+02, 6.680131188771972e+01,
                                            -1.328068155288572e+01};
  static constexpr std::array<double, 6> kC{-7.784894002430293e-03, -3.223964580411365e-01,
                                            -2.400758277161838e+00, -2.549732539343734e+00,
                                            4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr std::array<double, 4> kD{7.784695709041462e-03, 3.224671290700398e-01,
                                            2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kPLow = 0.02425;

  double x = 0.0;
  if (p < kPLow) {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((kC[0] * q + kC[1]) * q + kC[2]) * q + kC[3]) * q + kC[4]) * q + kC[5]) /
        ((((kD[0] * q + kD[1]) * q + kD[2]) * q + kD[3]) * q + 1.0);
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((kA[0] * r + kA[1]) * r + kA[2]) * r + kA[3]) * r + kA[4]) * r + kA[5]) * q /
        (((((kB[0] * r + kB[1]) * r + kB[2]) * r + kB[3]) * r + kB[4]) * r + 1.0);
  }
  // Halley step. For p below about 1e-300, exp(x^2 / 2) overflows; the approximation alone is
  // then kept (still within 1.15e-9 relative).
  const double e = 0.5 * std::erfc(-x / std::numbers::sqrt2) - p;
  const double u = e * std::sqrt(2.0 * std::numbers::pi) * std::exp(0.5 * x * x);
  if (std::isfinite(u)) x = x - u / (1.0 + 0.5 * x * u);
  return x;
}

double inverse_normal_cdf(double p) {
  if (p <= 0.0) return -kInf;
  if (p >= 1.0) return kInf;
  if (p > 0.5) return -inverse_normal_cdf_lower(1.0 - p);
  return inverse_normal_cdf_lower(p);
}

// One standard normal deviate; see the algorithm table at the top of the file.
double standard_normal(Rng& rng) {
  const double u1 = rng.uniform_open0();
  const double u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

void require(bool ok, const std::string& message) {
  if (!ok) throw InvalidArgument(message);
}

std::string num(double v) {
  std::array<char, 64> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), r.ptr);
}

// ---------------------------------------------------------------------------------------------
// Text form.

constexpr std::string_view kWhitespace = " \t\n\r\f\v";

bool is_space(char c) { return kWhitespace.find(c) != std::string_view::npos; }
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

struct Param {
  std::string_view name;
  bool has_unit;  // false: a plain number (Unit::kNone) whatever unit the caller asked for
};

struct Spec {
  std::string_view name;  // canonical
  std::string_view alias;
  Kind kind;
  std::vector<Param> params;
  std::string_view example;
};

const std::vector<Spec>& specs() {
  static const std::vector<Spec> table{
      {"const", "constant", Kind::kConstant, {{"value", true}}, "const(30ms)"},
      {"uniform",
       "",
       Kind::kUniform,
       {{"low", true}, {"high", true}},
       "uniform(low=10ms, high=20ms)"},
      {"exp", "exponential", Kind::kExponential, {{"mean", true}}, "exp(mean=1ms)"},
      {"normal", "", Kind::kNormal, {{"mean", true}, {"sd", true}}, "normal(mean=10ms, sd=2ms)"},
      {"lognormal",
       "",
       Kind::kLognormal,
       {{"median", true}, {"p99", true}, {"mu", false}, {"sigma", false}},
       "lognormal(median=14ms, p99=25ms) or lognormal(mu=1, sigma=0.5)"},
      {"pareto",
       "",
       Kind::kPareto,
       {{"scale", true}, {"shape", false}},
       "pareto(scale=1ms, shape=2.5)"},
      {"empirical", "", Kind::kEmpirical, {}, "empirical(1ms, 2ms, 5ms)"},
  };
  return table;
}

std::string_view unit_suffix(Unit unit) {
  switch (unit) {
    case Unit::kNone:
      return "";
    case Unit::kTime:
      return "ns";
    case Unit::kBytes:
      return "B";
    case Unit::kBandwidth:
      return "B/s";
    case Unit::kRate:
      return "/s";
  }
  return "";
}

// A number that from_chars reads back exactly: the shortest round-trip digits (std::to_chars is
// locale independent, unlike printf), fixed notation for ordinary magnitudes so "30000000ns" does
// not turn into "3e+07ns", scientific otherwise.
std::string exact_number(double v) {
  std::array<char, 512> buf{};
  const double mag = std::fabs(v);
  const auto fmt = (mag == 0.0 || (mag >= 1e-5 && mag < 1e16)) ? std::chars_format::fixed
                                                               : std::chars_format::scientific;
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, fmt);
  return std::string(buf.data(), r.ptr);
}

struct Arg {
  std::string_view name;  // empty for a positional argument
  std::size_t name_column = 0;
  std::string_view value;
  std::size_t value_column = 0;
};

class Parser {
 public:
  Parser(std::string_view text, Unit unit) : text_(text), unit_(unit) {}

  Distribution parse() {
    std::size_t b = 0;
    std::size_t e = text_.size();
    while (b < e && is_space(text_[b])) ++b;
    while (e > b && is_space(text_[e - 1])) --e;
    if (b == e) {
      fail("empty distribution text", 1,
           "expected a distribution such as exp(1ms) or a bare quantity such as 30ms");
    }
    if (!is_ident_start(text_[b])) return bare_quantity(b, e);

    std::size_t pos = b;
    while (pos < e && is_ident_char(text_[pos])) ++pos;
    const std::string_view ident = text_.substr(b, pos - b);
    const Spec* spec = find_spec(ident);
    if (spec == nullptr) {
      std::vector<std::string_view> names;
      for (const Spec& s : specs()) {
        names.push_back(s.name);
        if (!s.alias.empty()) names.push_back(s.alias);
      }
      const std::string guess = closest_name(ident, names);
      fail("unknown distribution '" + std::string(ident) + "'", b + 1,
           "expected one of const, uniform, exp, normal, lognormal, pareto, empirical" +
               (guess.empty() ? std::string(" or a bare quantity such as 30ms")
                              : " (did you mean '" + guess + "'?)"));
    }
    while (pos < e && is_space(text_[pos])) ++pos;
    if (pos >= e || text_[pos] != '(') {
      fail("expected '(' after '" + std::string(ident) + "'", pos + 1,
           "write " + std::string(spec->example));
    }
    const std::size_t open = pos;
    const std::size_t close = text_.find(')', open + 1);
    if (close == std::string_view::npos || close >= e) {
      fail("missing ')'", e + 1, "write " + std::string(spec->example));
    }
    if (close + 1 != e) {
      const std::size_t junk = text_.find_first_not_of(kWhitespace, close + 1);
      fail("unexpected '" + std::string(text_.substr(junk, e - junk)) + "' after ')'", junk + 1,
           "nothing may follow the closing parenthesis");
    }
    const std::vector<Arg> args = split_args(open + 1, close, *spec);
    try {
      return build(*spec, args, close + 1);
    } catch (const DistributionError&) {
      throw;
    } catch (const InvalidArgument& err) {
      // A factory check the parser does not duplicate (e.g. a range too wide for a double).
      fail("invalid " + std::string(spec->name) + " parameters", b + 1, err.what());
    }
  }

 private:
  [[noreturn]] void fail(const std::string& problem, std::size_t column,
                         const std::string& allowed) const {
    throw DistributionError(problem + " in '" + std::string(text_) + "' at column " +
                                std::to_string(column) + "; " + allowed,
                            column);
  }

  static const Spec* find_spec(std::string_view ident) {
    for (const Spec& s : specs()) {
      if (ident == s.name || (!s.alias.empty() && ident == s.alias)) return &s;
    }
    return nullptr;
  }

  // The reason from a UnitError, without its "Invalid quantity '...': " opening (our own message
  // already names the text) or its closing full stop (ours goes on).
  static std::string unit_reason(const UnitError& err, std::string_view value) {
    std::string what = err.what();
    const std::string opening = "Invalid quantity '" + std::string(value) + "': ";
    if (what.starts_with(opening)) what.erase(0, opening.size());
    if (!what.empty() && what.back() == '.') what.pop_back();
    return what;
  }

  Distribution bare_quantity(std::size_t b, std::size_t e) const {
    const std::string_view body = text_.substr(b, e - b);
    try {
      return Distribution::constant(parse_quantity(body, unit_));
    } catch (const UnitError& err) {
      fail("invalid quantity '" + std::string(body) + "'", b + 1, unit_reason(err, body));
    }
  }

  // Splits the text between the parentheses at commas. Each piece is "value" or "name = value".
  std::vector<Arg> split_args(std::size_t begin, std::size_t end, const Spec& spec) const {
    std::vector<Arg> args;
    if (text_.substr(begin, end - begin).find_first_not_of(kWhitespace) == std::string_view::npos) {
      return args;  // "exp()": reported as a missing argument by build()
    }
    std::size_t start = begin;
    while (true) {
      std::size_t stop = text_.find(',', start);
      if (stop == std::string_view::npos || stop > end) stop = end;
      std::size_t pb = start;
      std::size_t pe = stop;
      while (pb < pe && is_space(text_[pb])) ++pb;
      while (pe > pb && is_space(text_[pe - 1])) --pe;
      if (pb == pe) {
        fail("empty argument", pb + 1,
             "arguments are separated by single commas, e.g. " + std::string(spec.example));
      }
      Arg arg;
      const std::size_t eq = text_.find('=', pb);
      if (eq != std::string_view::npos && eq < pe) {
        std::size_t ne = eq;
        while (ne > pb && is_space(text_[ne - 1])) --ne;
        std::size_t vb = eq + 1;
        while (vb < pe && is_space(text_[vb])) ++vb;
        arg.name = text_.substr(pb, ne - pb);
        arg.name_column = pb + 1;
        bool ident_ok = !arg.name.empty() && is_ident_start(arg.name[0]);
        for (const char c : arg.name) ident_ok = ident_ok && is_ident_char(c);
        if (!ident_ok) {
          fail("bad argument name '" + std::string(arg.name) + "'", pb + 1,
               "write name=value, e.g. " + std::string(spec.example));
        }
        if (vb == pe) {
          fail("missing value for argument '" + std::string(arg.name) + "'", vb + 1,
               "write name=value, e.g. " + std::string(spec.example));
        }
        arg.value = text_.substr(vb, pe - vb);
        arg.value_column = vb + 1;
      } else {
        arg.value = text_.substr(pb, pe - pb);
        arg.value_column = pb + 1;
      }
      args.push_back(arg);
      if (stop == end) break;
      start = stop + 1;
    }
    return args;
  }

  std::string param_list(const Spec& spec) const {
    std::string out;
    for (const Param& p : spec.params) {
      if (!out.empty()) out += ", ";
      out += p.name;
    }
    return out;
  }

  double value_of(const Spec& spec, const Param& param, const Arg& arg) const {
    const Unit unit = param.has_unit ? unit_ : Unit::kNone;
    try {
      return parse_quantity(arg.value, unit);
    } catch (const UnitError& err) {
      fail("invalid value '" + std::string(arg.value) + "' for " + std::string(spec.name) + " " +
               std::string(param.name),
           arg.value_column, unit_reason(err, arg.value));
    }
  }

  Distribution build(const Spec& spec, const std::vector<Arg>& args, std::size_t close_column) {
    if (spec.kind == Kind::kEmpirical) return build_empirical(spec, args, close_column);

    // Match arguments to parameters: positional ones first, in order, then named ones.
    std::vector<const Arg*> bound(spec.params.size(), nullptr);
    bool seen_named = false;
    std::size_t next_positional = 0;
    for (const Arg& arg : args) {
      if (arg.name.empty()) {
        if (spec.kind == Kind::kLognormal) {
          fail("lognormal needs named arguments", arg.value_column,
               "write " + std::string(spec.example));
        }
        if (seen_named) {
          fail("positional argument '" + std::string(arg.value) + "' after a named argument",
               arg.value_column,
               "put positional arguments first, e.g. " + std::string(spec.example));
        }
        if (next_positional >= spec.params.size()) {
          fail("too many arguments for " + std::string(spec.name), arg.value_column,
               std::string(spec.name) + " takes " + std::to_string(spec.params.size()) + " (" +
                   param_list(spec) + "), e.g. " + std::string(spec.example));
        }
        bound[next_positional++] = &arg;
        continue;
      }
      seen_named = true;
      std::size_t index = spec.params.size();
      for (std::size_t i = 0; i < spec.params.size(); ++i) {
        if (spec.params[i].name == arg.name) index = i;
      }
      if (index == spec.params.size()) {
        std::vector<std::string_view> names;
        for (const Param& p : spec.params) names.push_back(p.name);
        const std::string guess = closest_name(arg.name, names);
        fail("unknown argument '" + std::string(arg.name) + "' for " + std::string(spec.name),
             arg.name_column,
             "expected " + param_list(spec) +
                 (guess.empty() ? std::string() : " (did you mean '" + guess + "'?)"));
      }
      if (bound[index] != nullptr) {
        fail("argument '" + std::string(arg.name) + "' given twice", arg.name_column,
             "give each of " + param_list(spec) + " once");
      }
      bound[index] = &arg;
    }

    const auto missing = [&](std::string_view name) {
      fail("missing argument '" + std::string(name) + "' for " + std::string(spec.name),
           close_column, "write " + std::string(spec.example));
    };
    const auto get = [&](std::size_t i) {
      if (bound[i] == nullptr) missing(spec.params[i].name);
      return value_of(spec, spec.params[i], *bound[i]);
    };
    const auto col = [&](std::size_t i) { return bound[i]->value_column; };
    const auto txt = [&](std::size_t i) { return std::string(bound[i]->value); };

    switch (spec.kind) {
      case Kind::kConstant:
        return Distribution::constant(get(0));
      case Kind::kUniform: {
        const double low = get(0);
        const double high = get(1);
        if (high < low) {
          fail("uniform high '" + txt(1) + "' is below low '" + txt(0) + "'", col(1),
               "high must be >= low");
        }
        return Distribution::uniform(low, high);
      }
      case Kind::kExponential: {
        const double mean = get(0);
        if (!(mean > 0)) {
          fail("exp mean '" + txt(0) + "' is not positive", col(0), "the mean must be > 0");
        }
        return Distribution::exponential(mean);
      }
      case Kind::kNormal: {
        const double mean = get(0);
        const double sd = get(1);
        if (sd < 0) fail("normal sd '" + txt(1) + "' is negative", col(1), "sd must be >= 0");
        return Distribution::normal(mean, sd);
      }
      case Kind::kLognormal: {
        const bool by_quantiles = bound[0] != nullptr || bound[1] != nullptr;
        const bool by_log = bound[2] != nullptr || bound[3] != nullptr;
        if (by_quantiles && by_log) {
          const std::size_t second = bound[2] != nullptr ? 2 : 3;
          fail("lognormal mixes median/p99 with mu/sigma", bound[second]->name_column,
               "give either median and p99, or mu and sigma");
        }
        if (by_log) {
          const double mu = get(2);
          const double sigma = get(3);
          if (sigma < 0) {
            fail("lognormal sigma '" + txt(3) + "' is negative", col(3), "sigma must be >= 0");
          }
          return Distribution::lognormal(mu, sigma);
        }
        const double median = get(0);
        const double p99 = get(1);
        if (!(median > 0)) {
          fail("lognormal median '" + txt(0) + "' is not positive", col(0),
               "the median must be > 0");
        }
        if (p99 < median) {
          fail("lognormal p99 '" + txt(1) + "' is below median '" + txt(0) + "'", col(1),
               "p99 must be >= median");
        }
        return Distribution::lognormal_median_p99(median, p99);
      }
      case Kind::kPareto: {
        const double scale = get(0);
        const double shape = get(1);
        if (!(scale > 0)) {
          fail("pareto scale '" + txt(0) + "' is not positive", col(0), "the scale must be > 0");
        }
        if (!(shape > 0)) {
          fail("pareto shape '" + txt(1) + "' is not positive", col(1), "the shape must be > 0");
        }
        return Distribution::pareto(scale, shape);
      }
      case Kind::kEmpirical:
        break;
    }
    return build_empirical(spec, args, close_column);
  }

  Distribution build_empirical(const Spec& spec, const std::vector<Arg>& args,
                               std::size_t close_column) const {
    if (args.empty()) {
      fail("empirical needs at least one value", close_column,
           "write " + std::string(spec.example));
    }
    std::vector<double> values;
    values.reserve(args.size());
    const Param param{"value", true};
    for (const Arg& arg : args) {
      if (!arg.name.empty()) {
        fail("empirical takes no named arguments", arg.name_column,
             "list the values, e.g. " + std::string(spec.example));
      }
      values.push_back(value_of(spec, param, arg));
    }
    return Distribution::empirical(std::move(values));
  }

  std::string_view text_;
  Unit unit_;
};

}  // namespace

double standard_exponential(Rng& rng) {
  using ziggurat::kF;
  using ziggurat::kX;
  for (;;) {
    const std::uint64_t bits = rng.next_u64();
    const std::size_t i = bits & 0xff;
    const double z = static_cast<double>(bits >> 11) * 0x1.0p-53 * kX[i];
    if (z < kX[i + 1]) return z;
    if (i == 0) return kX[1] - std::log(rng.uniform_open0());
    if (kF[i] + (kF[i + 1] - kF[i]) * rng.uniform01() < std::exp(-z)) return z;
  }
}

Distribution Distribution::constant(double value) {
  require(std::isfinite(value), "Distribution::constant: value must be finite, got " + num(value));
  return {Kind::kConstant, value, 0.0};
}

Distribution Distribution::uniform(double low, double high) {
  require(
      std::isfinite(low) && std::isfinite(high),
      "Distribution::uniform: low and high must be finite, got " + num(low) + " and " + num(high));
  require(low <= high,
          "Distribution::uniform: low (" + num(low) + ") must be <= high (" + num(high) + ")");
  require(std::isfinite(high - low),
          "Distribution::uniform: high - low overflows a double for low " + num(low) +
              " and high " + num(high));
  return {Kind::kUniform, low, high};
}

Distribution Distribution::exponential(double mean) {
  require(std::isfinite(mean) && mean > 0,
          "Distribution::exponential: mean must be finite and > 0, got " + num(mean));
  return {Kind::kExponential, mean, 0.0};
}

Distribution Distribution::normal(double mean, double sd) {
  require(std::isfinite(mean), "Distribution::normal: mean must be finite, got " + num(mean));
  require(std::isfinite(sd) && sd >= 0,
          "Distribution::normal: sd must be finite and >= 0, got " + num(sd));
  return {Kind::kNormal, mean, sd};
}

Distribution Distribution::lognormal(double mu, double sigma) {
  require(std::isfinite(mu), "Distribution::lognormal: mu must be finite, got " + num(mu));
  require(std::isfinite(sigma) && sigma >= 0,
          "Distribution::lognormal: sigma must be finite and >= 0, got " + num(sigma));
  return {Kind::kLognormal, mu, sigma};
}

Distribution Distribution::lognormal_median_p99(double median, double p99) {
  require(std::isfinite(median) && median > 0,
          "Distribution::lognormal_median_p99: median must be finite and > 0, got " + num(median));
  require(std::isfinite(p99) && p99 >= median, "Distribution::lognormal_median_p99: p99 (" +
                                                   num(p99) + ") must be finite and >= median (" +
                                                   num(median) + ")");
  // The median of exp(N(mu, sigma)) is exp(mu); its p99 is exp(mu + sigma * z_0.99).
  return lognormal(std::log(median), std::log(p99 / median) / kZ99);
}

Distribution Distribution::pareto(double scale, double shape) {
  require(std::isfinite(scale) && scale > 0,
          "Distribution::pareto: scale must be finite and > 0, got " + num(scale));
  require(std::isfinite(shape) && shape > 0,
          "Distribution::pareto: shape must be finite and > 0, got " + num(shape));
  return {Kind::kPareto, scale, shape};
}

Distribution Distribution::empirical(std::vector<double> samples) {
  require(!samples.empty(), "Distribution::empirical: needs at least one sample");
  for (const double s : samples) {
    require(std::isfinite(s), "Distribution::empirical: samples must be finite, got " + num(s));
  }
  Distribution d(Kind::kEmpirical, 0.0, 0.0);
  d.sorted_ = samples;
  std::sort(d.sorted_.begin(), d.sorted_.end());
  d.samples_ = std::move(samples);
  return d;
}

Distribution Distribution::parse(std::string_view text, Unit unit) {
  return Parser(text, unit).parse();
}

double Distribution::sample_drawn(Rng& rng) const {
  // Algorithms and draw counts: see the table at the top of this file.
  switch (kind_) {
    case Kind::kConstant:
      return a_;
    case Kind::kUniform:
      return a_ + (b_ - a_) * rng.uniform01();
    case Kind::kExponential:
      return a_ * standard_exponential(rng);
    case Kind::kNormal:
      return a_ + b_ * standard_normal(rng);
    case Kind::kLognormal:
      return std::exp(a_ + b_ * standard_normal(rng));
    case Kind::kPareto:
      return a_ * std::pow(rng.uniform_open0(), -1.0 / b_);
    case Kind::kEmpirical:
      return samples_[rng.below(samples_.size())];
  }
  return a_;
}

double Distribution::mean() const {
  switch (kind_) {
    case Kind::kConstant:
      return a_;
    case Kind::kUniform:
      return 0.5 * (a_ + b_);
    case Kind::kExponential:
    case Kind::kNormal:
      return a_;
    case Kind::kLognormal:
      return std::exp(a_ + 0.5 * b_ * b_);
    case Kind::kPareto:
      return b_ <= 1 ? kInf : b_ * a_ / (b_ - 1);
    case Kind::kEmpirical: {
      double sum = 0;
      for (const double s : sorted_) sum += s;
      return sum / static_cast<double>(sorted_.size());
    }
  }
  return a_;
}

double Distribution::variance() const {
  switch (kind_) {
    case Kind::kConstant:
      return 0.0;
    case Kind::kUniform:
      return (b_ - a_) * (b_ - a_) / 12.0;
    case Kind::kExponential:
      return a_ * a_;
    case Kind::kNormal:
      return b_ * b_;
    case Kind::kLognormal:
      return std::expm1(b_ * b_) * std::exp(2 * a_ + b_ * b_);
    case Kind::kPareto:
      return b_ <= 2 ? kInf : a_ * a_ * b_ / ((b_ - 1) * (b_ - 1) * (b_ - 2));
    case Kind::kEmpirical: {
      // Population variance (divide by n): the distribution is exactly the listed samples.
      const double m = mean();
      double sum = 0;
      for (const double s : sorted_) sum += (s - m) * (s - m);
      return sum / static_cast<double>(sorted_.size());
    }
  }
  return 0.0;
}

double Distribution::quantile(double p) const {
  const bool bounded =
      kind_ == Kind::kConstant || kind_ == Kind::kUniform || kind_ == Kind::kEmpirical;
  require(p >= 0 && (p < 1 || (p == 1 && bounded)),
          "Distribution::quantile: p must be in [0, 1)" +
              std::string(bounded ? " or 1" : " for an unbounded distribution") + ", got " +
              num(p));
  switch (kind_) {
    case Kind::kConstant:
      return a_;
    case Kind::kUniform:
      return a_ + (b_ - a_) * p;
    case Kind::kExponential:
      return -a_ * std::log1p(-p);
    case Kind::kNormal:
      return a_ + b_ * inverse_normal_cdf(p);
    case Kind::kLognormal:
      return p == 0 ? 0.0 : std::exp(a_ + b_ * inverse_normal_cdf(p));
    case Kind::kPareto:
      return a_ * std::pow(1 - p, -1.0 / b_);
    case Kind::kEmpirical: {
      // Nearest rank: the smallest sample x with at least a fraction p of samples <= x.
      const auto n = static_cast<double>(sorted_.size());
      const double rank = std::max(1.0, std::ceil(p * n));
      return sorted_[static_cast<std::size_t>(std::min(rank, n)) - 1];
    }
  }
  return a_;
}

std::string Distribution::to_string(Unit unit) const {
  const std::string suffix(unit_suffix(unit));
  const auto v = [&](double x) { return exact_number(x) + suffix; };
  switch (kind_) {
    case Kind::kConstant:
      return "const(" + v(a_) + ")";
    case Kind::kUniform:
      return "uniform(low=" + v(a_) + ", high=" + v(b_) + ")";
    case Kind::kExponential:
      return "exp(mean=" + v(a_) + ")";
    case Kind::kNormal:
      return "normal(mean=" + v(a_) + ", sd=" + v(b_) + ")";
    case Kind::kLognormal:
      return "lognormal(mu=" + exact_number(a_) + ", sigma=" + exact_number(b_) + ")";
    case Kind::kPareto:
      return "pareto(scale=" + v(a_) + ", shape=" + exact_number(b_) + ")";
    case Kind::kEmpirical: {
      std::string out = "empirical(";
      for (std::size_t i = 0; i < samples_.size(); ++i) {
        if (i > 0) out += ", ";
        out += v(samples_[i]);
      }
      return out + ")";
    }
  }
  return {};
}

}  // namespace geodes::sim
