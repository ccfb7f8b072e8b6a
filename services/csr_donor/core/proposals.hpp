#pragma once
// Kelurahan proposals: submitted with known participants or new workers (registered through
// registration's RegisterBulk), listed and read within a scope, and decided item by item by
// sponsors: accepted into a new cohort or an existing one of their own (no double funding), or
// rejected with a reason.

#include <string>
#include <vector>

#include "budget.hpp"
#include "ports.hpp"
#include "rules.hpp"
#include "wallets.hpp"

namespace jaring::csr {

class Proposals {
 public:
  Proposals(Transactions<ProposalUnit>& store, Tariffs& tariffs, Registrar& registrar,
            const Settings& settings, const Clock& clock)
      : store_(store),
        quoter_(tariffs),
        registrar_(registrar),
        funds_(settings.low_balance_months, clock),
        clock_(clock) {}

  // An area official proposes for its own areas only: a kelurahan or a new worker's RW outside
  // them is PERMISSION_DENIED naming the field; a known participant outside them is refused
  // as an unknown one.
  Result<Proposal> submit_proposal(const std::string& idempotency_key, const std::string& kelurahan_code,
                                   const std::vector<ProposalInput>& inputs, const std::string& note,
                                   const Actor& by);
  // Proposals are addressed to every sponsor while open: a sponsor sees the open ones and those
  // it decided on; an area official those of its areas.
  Result<std::vector<Proposal>> proposals(const std::string& kelurahan_code, const std::string& status,
                                          const auth::Scope& scope);
  Result<Proposal> proposal(const std::string& proposal_id, const auth::Scope& scope);
  Result<Acceptance> accept(const AcceptCommand& command, const Actor& by);
  // Rejected on behalf of the caller's sponsor, which the items then name.
  Result<Proposal> reject_items(const std::string& idempotency_key, const std::string& proposal_id,
                                const std::vector<std::string>& item_ids, const std::string& reason,
                                const Actor& by);

 private:
  Transactions<ProposalUnit>& store_;
  Quoter quoter_;
  Registrar& registrar_;
  LowBalance funds_;
  const Clock& clock_;
};

}  // namespace jaring::csr
