#pragma once
// The coverage rules: which counters an event moves, and how RWs roll up to kelurahan,
// kecamatan, kota, province and branch office.

#include <string>
#include <vector>

#include "jaring/areas/areas.hpp"
#include "jaring/common/result.hpp"
#include "model.hpp"

namespace jaring::coverage {

// Counter changes for each event (one event may move several counters, in several RWs). An
// event that names an invalid RW or state is an error: it cannot be applied (the adapter sends
// it to the dead-letter topic).
Result<std::vector<CounterOp>> plan(const RwCreated& event);
Result<std::vector<CounterOp>> plan(const RwUpdated& event);
Result<std::vector<CounterOp>> plan(const ParticipantRegistered& event);
Result<std::vector<CounterOp>> plan(const ParticipantMoved& event);
Result<std::vector<CounterOp>> plan(const ParticipantExited& event);
Result<std::vector<CounterOp>> plan(const CoverageChanged& event);
Result<std::vector<CounterOp>> plan(const ClaimPaid& event);
Result<std::vector<CounterOp>> plan(const SponsorshipChanged& event);

// Where the counters live (Redis in production).
class CounterReader {
 public:
  virtual ~CounterReader() = default;
  virtual Result<std::optional<RwCoverage>> rw(const std::string& rw_code) = 0;
  virtual Result<std::vector<RwCoverage>> rws_of_kelurahan(const std::string& kelurahan_code) = 0;
  // Every RW of these kelurahan, in any order (one round trip or two, however many there are).
  virtual Result<std::vector<RwCoverage>> rws_of_kelurahans(
      const std::vector<std::string>& kelurahan_codes) = 0;
  // Codes of the kelurahan that have at least one RW, sorted.
  virtual Result<std::vector<std::string>> kelurahans() = 0;
};

// The areas coverage rolls up to: the Kemendagri tree down to kelurahan, and branch offices
// (Kantor Cabang) made of kecamatan.
class AreaIndex {
 public:
  AreaIndex(const areas::Registry& registry, const areas::BranchMap& branches)
      : registry_(registry), branches_(branches) {}

  // The area called `code` (a Kemendagri code down to kelurahan, or a branch code), with zero
  // totals; INVALID_ARGUMENT naming `field` when there is no such area.
  Result<AreaSummary> describe(const std::string& code, const std::string& field = "area_code") const;
  // Every kelurahan of the registry under the area.
  std::vector<std::string> kelurahans_under(const AreaSummary& area) const;
  // True when the RW lies in the area.
  bool contains(const AreaSummary& area, std::string_view rw_code) const;
  // Sums `rws` (those outside the area are ignored) into the area and its children.
  AreaCoverage roll_up(const AreaSummary& area, const std::vector<RwCoverage>& rws) const;
  const areas::Registry& registry() const { return registry_; }
  const areas::BranchMap& branches() const { return branches_; }

 private:
  // The child of `area` the RW belongs to; empty for a kelurahan (its children are RWs).
  std::string child_of(const AreaSummary& area, std::string_view rw_code) const;
  const areas::Registry& registry_;
  const areas::BranchMap& branches_;
};

// RWs in order of progress to target: most protected first (active / target, then registered
// / target, then code). Inactive RWs are left out.
std::vector<RwCoverage> ranked(std::vector<RwCoverage> rws);

class Queries {
 public:
  Queries(CounterReader& reader, const AreaIndex& areas) : reader_(reader), areas_(areas) {}

  Result<RwCoverage> rw(const std::string& rw_code);
  Result<KelurahanCoverage> kelurahan(const std::string& kelurahan_code);
  // Every kelurahan that has RWs, with its totals.
  Result<std::vector<KelurahanCoverage>> kelurahans();
  // An area with its children's totals (and its RWs for a kelurahan).
  Result<AreaCoverage> area(const std::string& area_code);
  // Every RW of an area (for rankings, snapshots and reconciliation).
  Result<std::vector<RwCoverage>> rws_under(const std::string& area_code);
  // Every branch office with its totals.
  Result<std::vector<AreaSummary>> branches();
  const AreaIndex& areas() const { return areas_; }

 private:
  Result<std::vector<RwCoverage>> rws_under(const AreaSummary& area);
  CounterReader& reader_;
  const AreaIndex& areas_;
};

}  // namespace jaring::coverage
