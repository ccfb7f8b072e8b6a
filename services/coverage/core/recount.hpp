#pragma once
// Counting again from the owners' own records, for `jaring-coverage rebuild` and for the
// periodic reconciliation. Registration owns the RWs and who lives where; contribution, claims
// and csr-donor have no export yet, so their counters are carried over from what Redis holds
// (exact, because counting is paused while a rebuild runs).

#include <functional>
#include <map>
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
};

// Every RW's counters from registration's records, with the counters registration does not own
// taken from `previous` (by RW code). `registered` counts current participants; `registrations`
// counts every participant, exited ones included, in the RW they are in now (the export does
// not tell where a moved worker first registered).
Result<std::vector<RwCoverage>> recount(RegistrationSource& source, const std::vector<RwCoverage>& previous);

struct Drift {
  std::int64_t workers = 0;                   // sum over RWs of |expected - counted| registered workers
  std::int64_t rws = 0;                       // RWs whose registered count differs
  std::map<std::string, std::int64_t> by_rw;  // counted - expected, only where they differ
};

// What the counters say against what registration's records say (registered only).
Drift drift(const std::vector<RwCoverage>& expected, const std::vector<RwCoverage>& counted);

}  // namespace jaring::coverage
