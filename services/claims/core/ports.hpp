#pragma once
// What the claims core needs from the outside world; adapters/ implements it.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jaring/auth/policy.hpp"
#include "jaring/common/result.hpp"
#include "model.hpp"

namespace jaring::claims {

// One write transaction, in the core's terms. Whatever it wrote, and the events it published
// (to the outbox), commit or roll back together.
class Unit {
 public:
  virtual ~Unit() = default;
  // True when the event was applied before; otherwise records it (effectively once).
  virtual bool seen_event(const std::string& event_id) = 0;

  virtual std::vector<PeriodFact> periods(const std::string& participant_id) = 0;
  virtual void save_period(const std::string& participant_id, const PeriodFact& fact) = 0;
  // The periods a payment touched, to take them back when it is reversed.
  virtual void save_payment_periods(const std::string& payment_id, const std::string& participant_id,
                                    const std::vector<int>& periods) = 0;
  virtual std::vector<int> payment_periods(const std::string& payment_id) = 0;

  // A claim with its documents, lines, family, children and history.
  virtual std::optional<Claim> claim(const std::string& claim_id) = 0;
  virtual std::optional<Claim> claim_by_key(const std::string& idempotency_key) = 0;
  // Claims of a participant, without history.
  virtual std::vector<Claim> claims_of(const std::string& participant_id) = 0;
  // Scholarships granted or in progress (not rejected) under a death claim, one row per child.
  virtual std::vector<ScholarshipRecord> scholarships_of(const std::string& death_claim_id) = 0;
  // Inserts or updates the claim and its parts; history is append-only (new entries are added).
  virtual void save_claim(const Claim& claim) = 0;
  virtual void publish(const Event& event) = 0;
};

// Registration, which owns participants: asked at the moment a claim needs one (filing, the
// verification of medical costs, approval) instead of following every registration: thousands
// are registered a day, a few claims are filed.
class Registry {
 public:
  virtual ~Registry() = default;
  // The participation with its bands and branches, asked for the user `acting_for` (registration
  // records whom a service asked for); nullopt when registration knows no such participant.
  // UNAVAILABLE when registration cannot answer now (the caller may try again).
  virtual Result<std::optional<Participant>> participant(const std::string& participant_id,
                                                         const std::string& acting_for) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // Runs fn in one transaction: commits when it returns success, rolls back otherwise.
  // UNAVAILABLE when the store itself failed.
  virtual Result<void> transact(const std::function<Result<void>(Unit&)>& fn) = 0;

  virtual std::optional<Claim> claim(const std::string& claim_id) = 0;
  // A page of the claims `scope` reaches (branch, RW, agent): the scope is a condition of the query.
  virtual ClaimPage list(const ClaimFilter& filter, const auth::Scope& scope) = 0;
  // The latest approved or paid scholarship year of every child, optionally of one branch, of
  // the claims `scope` reaches.
  virtual std::vector<ScholarshipRecord> latest_scholarships(const std::string& branch_code,
                                                             const auth::Scope& scope) = 0;
  virtual std::vector<PeriodFact> periods(const std::string& participant_id) = 0;
  // ExportPaidClaims: paid claims with id > after, by id, at most `limit`.
  virtual std::vector<PaidClaimFact> paid_claims_page(const std::string& after, int limit) = 0;
  // Stored events not yet published (the outbox backlog).
  virtual std::int64_t unpublished() = 0;
};

}  // namespace jaring::claims
