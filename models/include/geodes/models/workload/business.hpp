// Businesses (DOMAIN.md step 1): what one operation of a business does to the data, as a
// sequence of steps that the workload runs against DataAccess at the DC serving the user.
//
// Steps (StepKind):
//   allocate_id  draws a new id from the data class's id strategy (id_strategy.hpp); with a
//                central allocator in another DC this is an API call there. The id becomes the
//                op's `new_id` key and, when the op succeeds, the new user's account id. A
//                business with this step *registers* users; others act for registered users.
//   read         reads the key at the serving DC. Fails `missing` if there is no live row (when
//                fail_if_missing); fails `stale` if the row's version is older than the latest
//                version of that key committed anywhere by this workload (when fail_if_stale:
//                the simulator knows the truth).
//   write        commits an insert, update, delete, or upsert (update if a live row exists, else
//                insert) at the serving DC. A duplicate key fails `duplicate`; an update or
//                delete of a missing row fails `missing`.
//   session      the user's session must exist at the serving DC. If it does not but one was
//                created before (anywhere), the user was moved (GSLB) or the session lost: a
//                *forced re-login*, counted as a cost, never a failure; the session is then
//                re-created (regenerate). A first session is simply created.
//   decrement    conditional decrement of a counter row (stock): if the row's value is > 0 it is
//                updated to value - 1; otherwise, with `borrow` and key = per_dc, the other DCs'
//                rows are tried in DC order after the serving one, each over an API call to that
//                DC (the call's round trip is paid, a down or unreachable lender is skipped), and
//                the first with stock is decremented at its own DC. No stock anywhere fails
//                `exhausted`. This is the flash sale of DOMAIN.md: quota split per city, borrowing
//                across the cross-city link when a city runs out.
//
// Keys (KeyChoice): the user's account id, the op's new id, a fixed key, or per_dc (key
// fixed_key + the DC's id: one row per city, e.g. each city's stock quota).
//
// Values written are unique per workload (a counter), so equal values mean the same write.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "geodes/models/ids.hpp"
#include "geodes/models/workload/arrival_process.hpp"

namespace geodes::models {

/// A business, by its index in WorkloadParams::businesses.
struct BusinessId {
  std::uint32_t value = 0;
  constexpr auto operator<=>(const BusinessId&) const = default;
};

enum class StepKind : std::uint8_t { kAllocateId, kRead, kWrite, kSession, kDecrement };
enum class KeyChoice : std::uint8_t { kAccount, kNewId, kFixed, kPerDc };
enum class WriteMode : std::uint8_t { kInsert, kUpdate, kUpsert, kDelete };

struct Step {
  StepKind kind = StepKind::kRead;
  DataClassId data_class;
  KeyChoice key = KeyChoice::kAccount;
  /// kFixed: the key; kPerDc: the base (DC d's row is fixed_key + d).
  std::uint64_t fixed_key = 0;
  /// read: fail `missing` when there is no live row.
  bool fail_if_missing = true;
  /// read: fail `stale` when the row is older than the key's latest commit anywhere.
  bool fail_if_stale = false;
  /// write: what to commit.
  WriteMode write = WriteMode::kUpdate;
  /// decrement with key kPerDc: borrow from other DCs when the serving DC's row is at 0.
  bool borrow = false;
  /// decrement with key kPerDc: the initial value of each DC's row (index = DC id), preloaded at
  /// start; empty: none preloaded.
  std::vector<std::uint64_t> initial_per_dc;
};

struct BusinessParams {
  std::string name;
  int tier = 1;
  /// How its ops arrive. rate_per_s is ignored (and must be 0) when the workload sets a total
  /// rate; `share` is then used.
  ArrivalParams arrivals;
  /// Share of WorkloadParams::total_rate_per_s (shares are normalised by their sum).
  double share = 0;
  /// Popularity of users (Zipf exponent over registration order: the earliest registered user is
  /// the most active); 0 is uniform. Ignored by businesses that register users.
  double zipf_exponent = 1.0;
  /// Share of its ops served at a DC other than the user's home (a travelling user, a DNS that
  /// ignores unitization; typically reads such as login, while writes go home), in [0, 1]: such
  /// an op goes to a uniformly drawn other DC while the GSLB believes it up, else where the GSLB
  /// routes the user. 0 draws nothing.
  double roaming = 0;
  std::vector<Step> steps;
};

/// True iff the business has an allocate_id step (it registers new users).
bool registers_users(const BusinessParams& b);

/// register: allocate an id from `account`'s strategy, insert the account and password rows.
BusinessParams register_business(const std::string& name, DataClassId account,
                                 DataClassId password);
/// login: read the account (missing fails) and password (missing or stale fails) where the user
/// is served, then create or refresh the session (upsert).
BusinessParams login_business(const std::string& name, DataClassId account, DataClassId password,
                              DataClassId session);
/// change_password: needs a session, then updates the password (a missing row fails).
BusinessParams change_password_business(const std::string& name, DataClassId password,
                                        DataClassId session);
/// profile: needs a session, then upserts the profile row.
BusinessParams profile_business(const std::string& name, DataClassId profile, DataClassId session);
/// flash sale: decrement the serving city's stock row `item` + dc (per-city quota preloaded from
/// stock_per_dc), borrowing from other cities when it is exhausted and `borrow` is set.
BusinessParams flash_sale_business(const std::string& name, DataClassId stock, std::uint64_t item,
                                   std::vector<std::uint64_t> stock_per_dc, bool borrow);

const char* to_string(StepKind kind);
const char* to_string(KeyChoice key);
const char* to_string(WriteMode mode);
/// Parsers for the names above ("allocate_id", "read", "write", "session", "decrement";
/// "account", "new_id", "fixed", "per_dc"; "insert", "update", "upsert", "delete"). Throw
/// InvalidArgument naming the bad value and the allowed ones.
StepKind parse_step_kind(const std::string& name);
KeyChoice parse_key_choice(const std::string& name);
WriteMode parse_write_mode(const std::string& name);

}  // namespace geodes::models
