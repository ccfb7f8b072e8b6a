#pragma once
// What the sponsors' money did: impact figures per sponsor and range of months (workers
// protected, months funded, rupiah spent, RWs reached, claims paid, bills not covered; one row
// per RW), and the export of every sponsored participant for coverage's rebuild.

#include <functional>
#include <string>

#include "ports.hpp"

namespace jaring::csr {

class ImpactReports {
 public:
  ImpactReports(Transactions<ImpactUnit>& store, SponsorshipExport& sponsorships)
      : store_(store), sponsorships_(sponsorships) {}

  // An area official gets the figures of its areas only.
  Result<Impact> impact(const std::string& sponsor_id, const std::string& from, const std::string& to,
                        const auth::Scope& scope);
  // Every sponsored participant (see jaring/common/export.hpp for when it refuses).
  Result<void> export_sponsorships(const std::function<bool(const SponsorshipFact&)>& sink);

 private:
  Transactions<ImpactUnit>& store_;
  SponsorshipExport& sponsorships_;
};

}  // namespace jaring::csr
