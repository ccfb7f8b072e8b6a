#pragma once
// What the csr-donor core needs from the outside world; adapters/ implements it: the store
// (state, outbox, applied events and idempotency keys in one transaction), the contribution
// tariffs (for budget quotes) and registration (for new workers in proposals).
//
// Reads that answer a caller take its scope and apply it in the query (auth::sql_scope): a list
// never holds a row the caller may not see.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jaring/auth/policy.hpp"
#include "jaring/common/result.hpp"
#include "model.hpp"

namespace jaring::csr {

// The narrow ports of one transaction, in the core's terms. Whatever the calls write commits or
// rolls back together (the events go to the outbox in the same transaction). Each part of the
// core (wallets.hpp, cohorts.hpp, proposals.hpp, impact.hpp, projections.hpp) reaches only the
// ports its unit below lists, so that it can be tested against a fake of those alone.

// What every transaction has: applied events, idempotency keys and the outbox.
class Journal {
 public:
  virtual ~Journal() = default;
  // True when the event was applied before; otherwise records it (effectively once).
  virtual bool seen_event(const std::string& event_id) = 0;
  virtual std::optional<std::string> recall(const std::string& key) = 0;
  virtual void remember(const std::string& key, const std::string& result) = 0;
  virtual void publish(const Event& event) = 0;
};

// Sponsors, their deposits and the wallet's ledger, and what the wallet must cover a month.
class SponsorStore {
 public:
  virtual ~SponsorStore() = default;
  virtual std::optional<Sponsor> sponsor(const std::string& id) = 0;
  // Its own sponsor for a sponsor or treasurer; every sponsor for a scope over all, or over
  // areas (the directory kelurahan staff propose to).
  virtual std::vector<Sponsor> sponsors(const auth::Scope& scope) = 0;
  virtual void save_sponsor(const Sponsor& sponsor) = 0;
  virtual void append_ledger(const LedgerLine& line) = 0;
  virtual std::vector<LedgerLine> ledger(const std::string& sponsor_id, int limit) = 0;
  virtual void save_deposit(const Deposit& deposit) = 0;
  virtual std::optional<Deposit> deposit_by_key(const std::string& key) = 0;
  // Sum of `monthly` over a sponsor's active memberships that still fund `month` or later.
  virtual Rupiah monthly_need(const std::string& sponsor_id, Month month) = 0;
};

class CohortStore {
 public:
  virtual ~CohortStore() = default;
  virtual std::optional<Cohort> cohort(const std::string& id) = 0;
  // A sponsor's cohorts that the scope reaches: its sponsor's, or one with a member in its areas.
  virtual std::vector<Cohort> cohorts(const std::string& sponsor_id, const auth::Scope& scope) = 0;
  // Active cohorts whose last funded period is before `month`.
  virtual std::vector<Cohort> cohorts_ended_before(Month month) = 0;
  // Active cohorts defined by categories and RWs.
  virtual std::vector<Cohort> criteria_cohorts() = 0;
  virtual void save_cohort(const Cohort& cohort) = 0;
};

// Who a cohort funds for which periods.
class MembershipStore {
 public:
  virtual ~MembershipStore() = default;
  virtual std::vector<Membership> memberships_of(const std::string& participant_id) = 0;
  virtual std::vector<Membership> members(const std::string& cohort_id) = 0;
  // The members of a cohort that the scope covers (by sponsor or by RW).
  virtual std::vector<Membership> members_within(const std::string& cohort_id, const auth::Scope& scope) = 0;
  virtual void save_membership(const Membership& membership) = 0;
};

// The projection of registration's participants.
class ParticipantStore {
 public:
  virtual ~ParticipantStore() = default;
  virtual std::optional<Participant> participant(const std::string& id) = 0;
  virtual void save_participant(const Participant& participant) = 0;
  // Adds a participant not known yet: false (and nothing changes) when one with its id is.
  virtual bool add_participant(const Participant& participant) = 0;
  // Active participants paying for themselves in these RWs and categories (empty: any), by id.
  virtual std::vector<Participant> candidates(const std::vector<std::string>& categories,
                                              const std::vector<std::string>& rw_codes, int limit) = 0;
};

// What the sponsors' money did: periods paid (allocations), bills not covered (failures) and
// claims paid to the families of funded workers.
class ImpactStore {
 public:
  virtual ~ImpactStore() = default;
  virtual std::optional<Allocation> allocation(const std::string& id) = 0;
  virtual void save_allocation(const Allocation& allocation) = 0;
  // Allocations not refunded with a period in from..to, within the scope (by sponsor or by RW).
  virtual std::vector<Allocation> allocations(const std::string& sponsor_id, Month from, Month to,
                                              const auth::Scope& scope) = 0;
  virtual void save_failure(const Failure& failure) = 0;
  virtual std::vector<Failure> failures(const std::string& sponsor_id, Month from, Month to,
                                        const auth::Scope& scope) = 0;
  // False when the claim was recorded before.
  virtual bool save_claim(const ClaimImpact& claim) = 0;
  // Claims of a sponsor's workers with an event date in from..to, within the scope.
  virtual std::vector<ClaimImpact> claims(const std::string& sponsor_id, Month from, Month to,
                                          const auth::Scope& scope) = 0;
};

class ProposalStore {
 public:
  virtual ~ProposalStore() = default;
  virtual std::optional<Proposal> proposal(const std::string& id) = 0;
  // Proposals of a kelurahan (empty: every one) that the scope reaches: in its areas, or, for a
  // sponsor, open or with an item it decided.
  virtual std::vector<Proposal> proposals(const std::string& kelurahan_code, const auth::Scope& scope) = 0;
  virtual void save_proposal(const Proposal& proposal) = 0;
};

// What each part's transactions reach. The ports are virtual bases, so that a unit holding
// several of these (the adapter's, or a test's fake) implements each port once.
// Wallets, and the low-balance alert every part raises after a wallet or its needs changed.
class WalletUnit : public virtual Journal, public virtual SponsorStore {};
// Cohorts and their members (joining and leaving), chosen from the participant projection.
class CohortUnit : public virtual WalletUnit,
                   public virtual CohortStore,
                   public virtual MembershipStore,
                   public virtual ParticipantStore {};
// Proposals, whose accepted items join cohorts.
class ProposalUnit : public virtual CohortUnit, public virtual ProposalStore {};
// The facts of other services: participants, bills paid or refused, claims paid.
class ProjectionUnit : public virtual CohortUnit, public virtual ImpactStore {};
// Impact figures (reads only).
class ImpactUnit : public virtual SponsorStore, public virtual ImpactStore {};
// Every port: what the store's adapter implements.
class Unit : public virtual ProposalUnit, public virtual ProjectionUnit, public virtual ImpactUnit {};

// Transactions over a unit `U`.
template <typename U>
class Transactions {
 public:
  virtual ~Transactions() = default;
  // Runs fn in one write transaction: commits when it returns success, rolls back otherwise.
  // UNAVAILABLE when the store itself failed.
  virtual Result<void> transact(const std::function<Result<void>(U&)>& fn) = 0;
  // Runs fn on the reading connection (fn must not write or publish).
  virtual Result<void> read(const std::function<Result<void>(U&)>& fn) = 0;
};

// What ExportSponsorships reads besides a unit.
class SponsorshipExport {
 public:
  virtual ~SponsorshipExport() = default;
  // Participants with an active membership and id > after, by id, at most `limit`, one row each.
  virtual std::vector<SponsorshipFact> sponsorships_page(const std::string& after, int limit) = 0;
  // Stored events not yet published (the outbox backlog).
  virtual std::int64_t unpublished() = 0;
};

// The whole store, as the adapter implements it.
class Store : public Transactions<Unit>, public SponsorshipExport {};

// A wider unit's transactions handed to a part as its narrower unit (the facade's wiring).
template <typename Narrow, typename Wide = Unit>
class Narrowed final : public Transactions<Narrow> {
 public:
  explicit Narrowed(Transactions<Wide>& wide) : wide_(wide) {}
  Result<void> transact(const std::function<Result<void>(Narrow&)>& fn) override {
    return wide_.transact([&](Wide& unit) { return fn(unit); });
  }
  Result<void> read(const std::function<Result<void>(Narrow&)>& fn) override {
    return wide_.read([&](Wide& unit) { return fn(unit); });
  }

 private:
  Transactions<Wide>& wide_;
};

// What a participant's contribution depends on (the contribution service's terms).
struct Terms {
  std::string category, payer, programs;
  Rupiah income_band = 0;
  auto operator<=>(const Terms&) const = default;
};

// The contribution tariffs: one source of truth, owned by the contribution service.
class Tariffs {
 public:
  virtual ~Tariffs() = default;
  // The monthly contribution for a period and terms, asked on behalf of `acting_for`.
  virtual Result<Rupiah> monthly(Month period, const Terms& terms, const std::string& acting_for) = 0;
};

struct Registered {
  std::int64_t row = 0;
  std::string participant_id;  // empty when refused
  std::string reason;          // why registration refused the row
};

// Registration of new workers (registration's RegisterBulk).
class Registrar {
 public:
  virtual ~Registrar() = default;
  // One result per worker, in order; an error when registration could not be asked at all.
  virtual Result<std::vector<Registered>> register_workers(const std::vector<ProposalInput>& rows,
                                                           const std::string& submitted_by) = 0;
};

}  // namespace jaring::csr
