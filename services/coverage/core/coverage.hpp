#pragma once
// The coverage rules: which counter an event moves, and how RWs roll up to a kelurahan.

#include <string>
#include <vector>

#include "jaring/areas/areas.hpp"
#include "jaring/common/result.hpp"
#include "model.hpp"

namespace jaring::coverage {

// Counter changes for each event. An event that names an invalid RW is an error: it cannot be
// applied (the adapter sends it to the dead-letter topic).
Result<std::vector<CounterOp>> plan(const RwCreated& event);
Result<std::vector<CounterOp>> plan(const ParticipantRegistered& event);

// Where the counters live (Redis in production).
class CounterReader {
 public:
  virtual ~CounterReader() = default;
  virtual Result<std::optional<RwCoverage>> rw(const std::string& rw_code) = 0;
  virtual Result<std::vector<RwCoverage>> rws_of_kelurahan(const std::string& kelurahan_code) = 0;
  // Codes of the kelurahan that have at least one RW, sorted.
  virtual Result<std::vector<std::string>> kelurahans() = 0;
};

class Queries {
 public:
  Queries(CounterReader& reader, const areas::Registry& areas) : reader_(reader), areas_(areas) {}

  Result<RwCoverage> rw(const std::string& rw_code);
  Result<KelurahanCoverage> kelurahan(const std::string& kelurahan_code);
  // Every kelurahan that has RWs, with its totals.
  Result<std::vector<KelurahanCoverage>> kelurahans();
  const areas::Registry& areas() const { return areas_; }

 private:
  CounterReader& reader_;
  const areas::Registry& areas_;
};

}  // namespace jaring::coverage
