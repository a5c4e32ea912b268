#include "geodes/models/workload/business.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "geodes/sim/error.hpp"
#include "geodes/sim/names.hpp"

namespace geodes::models {

namespace {

Step step(StepKind kind, DataClassId cls, KeyChoice key) {
  Step s;
  s.kind = kind;
  s.data_class = cls;
  s.key = key;
  return s;
}

Step write(DataClassId cls, KeyChoice key, WriteMode mode) {
  Step s = step(StepKind::kWrite, cls, key);
  s.write = mode;
  return s;
}

}  // namespace

bool registers_users(const BusinessParams& b) {
  return std::any_of(b.steps.begin(), b.steps.end(),
                     [](const Step& s) { return s.kind == StepKind::kAllocateId; });
}

BusinessParams register_business(const std::string& name, DataClassId account,
                                 DataClassId password) {
  BusinessParams b;
  b.name = name;
  b.steps = {step(StepKind::kAllocateId, account, KeyChoice::kNewId),
             write(account, KeyChoice::kNewId, WriteMode::kInsert),
             write(password, KeyChoice::kNewId, WriteMode::kInsert)};
  return b;
}

BusinessParams login_business(const std::string& name, DataClassId account, DataClassId password,
                              DataClassId session) {
  BusinessParams b;
  b.name = name;
  Step read_password = step(StepKind::kRead, password, KeyChoice::kAccount);
  read_password.fail_if_stale = true;
  b.steps = {step(StepKind::kRead, account, KeyChoice::kAccount), read_password,
             write(session, KeyChoice::kAccount, WriteMode::kUpsert)};
  return b;
}

BusinessParams change_password_business(const std::string& name, DataClassId password,
                                        DataClassId session) {
  BusinessParams b;
  b.name = name;
  b.steps = {step(StepKind::kSession, session, KeyChoice::kAccount),
             write(password, KeyChoice::kAccount, WriteMode::kUpdate)};
  return b;
}

BusinessParams profile_business(const std::string& name, DataClassId profile, DataClassId session) {
  BusinessParams b;
  b.name = name;
  b.steps = {step(StepKind::kSession, session, KeyChoice::kAccount),
             write(profile, KeyChoice::kAccount, WriteMode::kUpsert)};
  return b;
}

BusinessParams flash_sale_business(const std::string& name, DataClassId stock, std::uint64_t item,
                                   std::vector<std::uint64_t> stock_per_dc, bool borrow) {
  BusinessParams b;
  b.name = name;
  Step s = step(StepKind::kDecrement, stock, KeyChoice::kPerDc);
  s.fixed_key = item;
  s.borrow = borrow;
  s.initial_per_dc = std::move(stock_per_dc);
  b.steps = {s};
  return b;
}

const char* to_string(StepKind kind) {
  switch (kind) {
    case StepKind::kAllocateId:
      return "allocate_id";
    case StepKind::kRead:
      return "read";
    case StepKind::kWrite:
      return "write";
    case StepKind::kSession:
      return "session";
    case StepKind::kDecrement:
      return "decrement";
  }
  return "?";
}

const char* to_string(KeyChoice key) {
  switch (key) {
    case KeyChoice::kAccount:
      return "account";
    case KeyChoice::kNewId:
      return "new_id";
    case KeyChoice::kFixed:
      return "fixed";
    case KeyChoice::kPerDc:
      return "per_dc";
  }
  return "?";
}

const char* to_string(WriteMode mode) {
  switch (mode) {
    case WriteMode::kInsert:
      return "insert";
    case WriteMode::kUpdate:
      return "update";
    case WriteMode::kUpsert:
      return "upsert";
    case WriteMode::kDelete:
      return "delete";
  }
  return "?";
}

StepKind parse_step_kind(const std::string& name) {
  static constexpr StepKind kAll[] = {StepKind::kAllocateId, StepKind::kRead, StepKind::kWrite,
                                      StepKind::kSession, StepKind::kDecrement};
  return sim::parse_name(name, kAll, "step kind");
}

KeyChoice parse_key_choice(const std::string& name) {
  static constexpr KeyChoice kAll[] = {KeyChoice::kAccount, KeyChoice::kNewId, KeyChoice::kFixed,
                                       KeyChoice::kPerDc};
  return sim::parse_name(name, kAll, "key choice");
}

WriteMode parse_write_mode(const std::string& name) {
  static constexpr WriteMode kAll[] = {WriteMode::kInsert, WriteMode::kUpdate, WriteMode::kUpsert,
                                       WriteMode::kDelete};
  return sim::parse_name(name, kAll, "write mode");
}

}  // namespace geodes::models
