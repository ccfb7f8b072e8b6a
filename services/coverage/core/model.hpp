#pragma once
// Coverage's view of the world: counters per RW, and the changes events make to them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jaring::coverage {

inline constexpr int kDefaultTarget = 100;

// The counters kept per RW. `active` is what "protected" means for the 100-per-RW goal.
struct Counters {
  std::int64_t registered = 0;
  std::int64_t active = 0;
  std::int64_t arrears = 0;
  std::int64_t lapsed = 0;
  std::int64_t sponsored = 0;
  std::int64_t claims_paid = 0;
  std::int64_t claims_paid_rupiah = 0;

  Counters& operator+=(const Counters& other);
  bool operator==(const Counters&) const = default;
};

struct RwCoverage {
  std::string rw_code;
  std::string kelurahan_code;
  int target = kDefaultTarget;
  Counters counters;

  bool at_target() const { return counters.active >= target; }
};

struct KelurahanCoverage {
  std::string kelurahan_code;
  std::vector<RwCoverage> rws;  // sorted by code
  Counters totals;
  int rws_at_target = 0;
};

// One change to the counters. Field names are those of Counters.
struct CounterOp {
  enum class Kind { kDeclareRw, kIncrement };
  Kind kind = Kind::kIncrement;
  std::string rw_code;
  std::string field;        // kIncrement: which counter
  std::int64_t amount = 0;  // kIncrement: by how much; kDeclareRw: the target
};

// The changes one event makes, applied all or nothing, at most once per event id.
struct EventChange {
  std::string event_id;
  std::vector<CounterOp> ops;
};

// Events coverage understands, as the adapter decodes them from the bus.
struct RwCreated {
  std::string rw_code;
  std::string kelurahan_code;
  int target = kDefaultTarget;
};
struct ParticipantRegistered {
  std::string participant_id;
  std::string rw_code;
};

}  // namespace jaring::coverage
