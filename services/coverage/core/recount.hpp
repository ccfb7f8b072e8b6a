#pragma once
// Counting again from the owners' own records, for the rebuild (automatic after Redis lost its
// state, and `jaring-coverage rebuild`) and for the periodic reconciliation. Each counter comes
// from the service that owns its fact, through that service's export stream: registration (the
// RWs and who lives where), contribution (coverage state per account), csr-donor (who a sponsor
// funds now) and claims (claims paid, with rupiah). Every fact is counted in the RW its owner's
// events count it in, so a recount equals what counting those events gives. One counter has two
// events and one owner: `awaiting` is counted up by registration's ParticipantRegistered (when it
// says counted_awaiting) and is an account state in contribution's records, which hold it once
// contribution has applied that registration (the rebuild waits for it: applied_before_export).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jaring/common/result.hpp"
#include "model.hpp"

namespace jaring::coverage {

struct RegisteredRw {
  std::string rw_code;
  std::string kelurahan_code;
  int target = kDefaultTarget;
  bool active = true;
};

struct ParticipantRow {
  std::string rw_code;
  bool active = true;  // false: exited
};

// Registration's export streams (registration.v1 ListRws and ExportParticipants).
class RegistrationSource {
 public:
  virtual ~RegistrationSource() = default;
  virtual Result<std::vector<RegisteredRw>> rws() = 0;
  // Calls `row` for every participant, exited ones included.
  virtual Result<void> participants(const std::function<void(const ParticipantRow&)>& row) = 0;
  // How many of its events registration had not yet put on the bus when the last export ended;
  // nullopt when it did not say (an older registration).
  virtual std::optional<std::int64_t> unpublished_after_export() const { return std::nullopt; }
};

// One fact of another owner, in the RW its events count it in: an account's coverage state
// (contribution), a sponsored participant (csr-donor; `state` empty) or a paid claim (claims;
// `amount_rupiah` set).
struct OwnerFact {
  std::string rw_code;
  std::string state;
  std::int64_t amount_rupiah = 0;
};

// An export stream of contribution (ExportCoverage), csr-donor (ExportSponsorships) or claims
// (ExportPaidClaims). UNAVAILABLE when the owner cannot answer, or holds events it has not
// published yet (the export would not match the bus).
class FactSource {
 public:
  virtual ~FactSource() = default;
  virtual Result<void> facts(const std::function<void(const OwnerFact&)>& fact) = 0;
  // How far the owner had applied the topics it follows when its last export began, keyed
  // "topic:partition", as positions in `cluster`'s log; nullopt when it did not say. Contribution
  // says: the accounts it opens from registrations counted awaiting announce nothing, so the
  // rebuild needs it to have applied every registration below the watermarks it installs.
  virtual std::optional<std::map<std::string, std::int64_t>> applied_before_export(
      const std::string& /*cluster*/) const {
    return std::nullopt;
  }
};

// The owners a recount asks. A null source is an owner whose topic coverage does not follow:
// its counters stay zero.
struct Owners {
  RegistrationSource* registration = nullptr;
  FactSource* contribution = nullptr;
  FactSource* sponsors = nullptr;
  FactSource* claims = nullptr;
};

// Every RW's counters from the owners' records. `registered` counts current participants;
// `registrations` counts every participant, exited ones included, in the RW they are in now (the
// export does not tell where a moved worker first registered). An RW a fact names that the
// registry does not list is counted anyway (it would be counted from the events too).
Result<std::vector<RwCoverage>> recount(const Owners& owners);

struct Drift {
  std::int64_t workers = 0;               // sum over RWs and counters of |counted - expected|, rupiah aside
  std::int64_t rws = 0;                   // RWs where any counter differs
  std::map<std::string, Counters> by_rw;  // counted - expected, only where they differ
};

// How far apart two sets of counters are: the sum of |difference| of every count, rupiah aside.
std::int64_t count_difference(const Counters& difference);

// What the counters say against what the owners' records say (every counter).
Drift drift(const std::vector<RwCoverage>& expected, const std::vector<RwCoverage>& counted);

}  // namespace jaring::coverage
