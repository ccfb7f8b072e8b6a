#pragma once
// Coverage's view of the world: counters per RW, the changes events make to them, and the
// roll-ups leaders read (kelurahan, kecamatan, kota, province, branch office).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jaring::coverage {

inline constexpr int kDefaultTarget = 100;

// The counters kept per RW. `active` is what "protected" means for the 100-per-RW goal.
struct Counters {
  std::int64_t registered = 0;  // current participants living in the RW (moves and exits move it)
  std::int64_t active = 0;
  std::int64_t arrears = 0;
  std::int64_t lapsed = 0;
  std::int64_t sponsored = 0;
  std::int64_t claims_paid = 0;
  std::int64_t claims_paid_rupiah = 0;
  // Registrations ever made in the RW: never goes down, so the M&E report can tell new
  // registrations between two snapshots even when workers exit or move in between.
  std::int64_t registrations = 0;
  // Registered but never paid (contribution's "awaiting"): not protected, so never in `active`.
  std::int64_t awaiting = 0;

  Counters& operator+=(const Counters& other);
  Counters operator-(const Counters& other) const;
  bool operator==(const Counters&) const = default;
};

// Counter names as stored (an M&E snapshot's columns, in this order) and as shown in JSON and
// CSV, in display order.
inline constexpr const char* kCounterFields[] = {
    "registered",         "active",        "arrears", "lapsed", "sponsored", "claims_paid",
    "claims_paid_rupiah", "registrations", "awaiting"};
// The counter called `name`; nullptr for an unknown name.
std::int64_t* field_of(Counters& c, std::string_view name);
const std::int64_t* field_of(const Counters& c, std::string_view name);

struct RwCoverage {
  std::string rw_code;
  std::string kelurahan_code;
  int target = kDefaultTarget;
  bool active = true;  // an RW deactivated in the registry counts in no share of RWs at target
  Counters counters;

  bool at_target() const { return active && counters.active >= target; }
};

struct KelurahanCoverage {
  std::string kelurahan_code;
  std::vector<RwCoverage> rws;  // sorted by code
  Counters totals;
  int rws_at_target = 0;
};

enum class AreaLevel { kProvince, kKota, kKecamatan, kKelurahan, kBranch };
const char* to_string(AreaLevel level);

// The totals of an area: the sum of its RWs.
struct AreaSummary {
  std::string code;  // Kemendagri code, or the branch code for a branch office
  std::string name;
  AreaLevel level = AreaLevel::kProvince;
  Counters totals;
  int rw_count = 0;  // active RWs
  int rws_at_target = 0;
  std::int64_t target = 0;  // sum of the active RWs' targets

  double share_at_target() const {
    return rw_count == 0 ? 0.0 : static_cast<double>(rws_at_target) / rw_count;
  }
  void add(const RwCoverage& rw);
};

// An area with its children (kota of the province, kecamatan of a kota, ..., kecamatan of a
// branch) and, for a kelurahan, its RWs.
struct AreaCoverage {
  AreaSummary summary;
  std::vector<AreaSummary> children;  // sorted by code
  std::vector<RwCoverage> rws;        // kelurahan only, sorted by code
};

// One change to the counters. Field names are those of kCounterFields, plus "active_rw" (kSet).
struct CounterOp {
  enum class Kind { kDeclareRw, kIncrement, kSet };
  Kind kind = Kind::kIncrement;
  std::string rw_code;
  std::string field;        // kIncrement / kSet: which field
  std::int64_t amount = 0;  // kIncrement: by how much; kSet: the value; kDeclareRw: the target
  bool operator==(const CounterOp&) const = default;
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
struct RwUpdated {
  std::string rw_code;
  std::string kelurahan_code;
  int target = kDefaultTarget;
  bool active = true;
};
struct ParticipantRegistered {
  std::string participant_id;
  std::string rw_code;
  // Counted awaiting from this event (registration's events since counted_awaiting); older ones
  // leave it to contribution's CoverageChanged none -> awaiting.
  bool counted_awaiting = false;
};
struct ParticipantMoved {
  std::string participant_id;
  std::string from_rw_code;
  std::string to_rw_code;
};
struct ParticipantExited {
  std::string participant_id;
  std::string rw_code;
};
// Contribution's coverage state change (jaring.contribution.v1). States: none (or empty),
// active, arrears, lapsed. On a move, previous_rw_code is the RW the state was counted in.
struct CoverageChanged {
  std::string participant_id;
  std::string rw_code;
  std::string previous_rw_code;
  std::string from_state;
  std::string to_state;
};
// Claims' payment of a benefit (jaring.claims.v1).
struct ClaimPaid {
  std::string rw_code;
  std::int64_t amount_rupiah = 0;
};
// The most one paid claim can add to an RW's claims_paid_rupiah. Claims refuses a benefit above
// its table's max_benefit (Rp1,000,000,000 in benefits.yaml); coverage keeps a ceiling of its own
// ten times that, so that an event from a bug or a forged producer is dead-lettered instead of
// overflowing a counter: Redis would refuse the whole batch's script, and the consumer would
// retry that batch forever.
inline constexpr std::int64_t kMaxClaimRupiah = 10'000'000'000;
// Whether csr-donor funds one participant changed, or a sponsored participant moved
// (jaring.csr.v1). Counted like CoverageChanged: out of (previous_rw_code or rw_code) when
// sponsored before, into rw_code when sponsored after.
struct SponsorshipChanged {
  std::string rw_code;
  std::string previous_rw_code;
  bool sponsored_before = false;
  bool sponsored_after = false;
};

}  // namespace jaring::coverage
