#pragma once
// The csr-donor core, wired: one place for the gRPC service and main to reach its parts, each on
// the narrow ports its unit lists (ports.hpp) over the one store. The rules live in the parts:
// - wallets.hpp: sponsors, deposits, the ledger and the low-balance alert;
// - cohorts.hpp: budget quotes, cohorts with the no-double-funding check, their end;
// - proposals.hpp: kelurahan proposals accepted in whole or in part, or rejected;
// - impact.hpp: impact figures and the sponsorship export;
// - projections.hpp: the facts of other services (participants, bills, refusals, claims paid).
// Every change and its events commit together through the Store; every mutating call is
// idempotent. Who may see what is said in rules.hpp.

#include "cohorts.hpp"
#include "impact.hpp"
#include "ports.hpp"
#include "projections.hpp"
#include "proposals.hpp"
#include "rules.hpp"
#include "wallets.hpp"

namespace jaring::csr {

class CsrDonor {
 public:
  CsrDonor(Store& store, Tariffs& tariffs, Registrar& registrar, const Settings& settings, const Clock& clock)
      : wallet_units_(store),
        cohort_units_(store),
        proposal_units_(store),
        impact_units_(store),
        projection_units_(store),
        wallets_(wallet_units_, settings, clock),
        cohorts_(cohort_units_, tariffs, settings, clock),
        proposals_(proposal_units_, tariffs, registrar, settings, clock),
        impact_(impact_units_, store),
        projections_(projection_units_, settings, clock) {}

  Wallets& wallets() { return wallets_; }
  Cohorts& cohorts() { return cohorts_; }
  Proposals& proposals() { return proposals_; }
  ImpactReports& impact() { return impact_; }
  Projections& projections() { return projections_; }

 private:
  Narrowed<WalletUnit> wallet_units_;
  Narrowed<CohortUnit> cohort_units_;
  Narrowed<ProposalUnit> proposal_units_;
  Narrowed<ImpactUnit> impact_units_;
  Narrowed<ProjectionUnit> projection_units_;
  Wallets wallets_;
  Cohorts cohorts_;
  Proposals proposals_;
  ImpactReports impact_;
  Projections projections_;
};

}  // namespace jaring::csr
