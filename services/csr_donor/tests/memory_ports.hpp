#pragma once
// In-memory fakes of csr-donor's narrow ports (core/ports.hpp), one class per port over one
// shared MemoryState, for the tests of one part of the core without SQLite. A part's fake unit
// is its unit class (WalletUnit, CohortUnit, ...) plus the fakes of the ports it lists and no
// others: the compiler refuses a part that reaches further.
//
// Scopes are applied as Scope::covers reads them (by sponsor, or by RW or kelurahan code), as the
// SQLite store's queries do; sorting follows the store where a part depends on it.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/csr.hpp"

namespace jaring::csr::testing {

// The whole fake store's contents: copied at the start of a transaction, restored on failure.
struct MemoryState {
  std::set<std::string> applied_events;
  std::map<std::string, std::string> keys;
  std::vector<Event> events;
  std::map<std::string, Sponsor> sponsors;
  std::vector<LedgerLine> ledger;
  std::vector<Deposit> deposits;
  std::vector<Cohort> cohorts;  // in creation order, as the store's rowid
  std::vector<Membership> memberships;
  std::map<std::string, Participant> participants;
  std::map<std::string, Allocation> allocations;
  std::vector<Failure> failures;
  std::map<std::string, ClaimImpact> claims;
  std::map<std::string, Proposal> proposals;
};

// The events of one type published so far.
template <class E>
std::vector<E> published(const MemoryState& state) {
  std::vector<E> out;
  for (const auto& e : state.events)
    if (const auto* x = std::get_if<E>(&e)) out.push_back(*x);
  return out;
}

class MemoryJournal : public virtual Journal {
 public:
  explicit MemoryJournal(MemoryState& state) : s_(state) {}
  bool seen_event(const std::string& event_id) override { return !s_.applied_events.insert(event_id).second; }
  std::optional<std::string> recall(const std::string& key) override {
    const auto it = s_.keys.find(key);
    if (it == s_.keys.end()) return std::nullopt;
    return it->second;
  }
  void remember(const std::string& key, const std::string& result) override { s_.keys[key] = result; }
  void publish(const Event& event) override { s_.events.push_back(event); }

 private:
  MemoryState& s_;
};

class MemorySponsors : public virtual SponsorStore {
 public:
  explicit MemorySponsors(MemoryState& state) : s_(state) {}
  std::optional<Sponsor> sponsor(const std::string& id) override {
    const auto it = s_.sponsors.find(id);
    if (it == s_.sponsors.end()) return std::nullopt;
    return it->second;
  }
  std::vector<Sponsor> sponsors(const auth::Scope& scope) override {
    std::vector<Sponsor> out;
    for (const auto& [id, s] : s_.sponsors)
      if (!scope.areas.empty() || owns(scope, id)) out.push_back(s);
    return out;
  }
  void save_sponsor(const Sponsor& sponsor) override { s_.sponsors[sponsor.id] = sponsor; }
  void append_ledger(const LedgerLine& line) override {
    s_.ledger.push_back(line);
    s_.ledger.back().seq = static_cast<std::int64_t>(s_.ledger.size());
  }
  std::vector<LedgerLine> ledger(const std::string& sponsor_id, int limit) override {
    std::vector<LedgerLine> out;
    for (auto it = s_.ledger.rbegin(); it != s_.ledger.rend() && static_cast<int>(out.size()) < limit; ++it)
      if (it->sponsor_id == sponsor_id) out.push_back(*it);
    return out;
  }
  void save_deposit(const Deposit& deposit) override { s_.deposits.push_back(deposit); }
  std::optional<Deposit> deposit_by_key(const std::string& key) override {
    for (const auto& d : s_.deposits)
      if (d.idempotency_key == key) return d;
    return std::nullopt;
  }
  Rupiah monthly_need(const std::string& sponsor_id, Month month) override {
    Rupiah need = 0;
    for (const auto& m : s_.memberships)
      if (m.sponsor_id == sponsor_id && m.active && !(m.to < month)) need += m.monthly;
    return need;
  }

 private:
  MemoryState& s_;
};

class MemoryCohorts : public virtual CohortStore {
 public:
  explicit MemoryCohorts(MemoryState& state) : s_(state) {}
  std::optional<Cohort> cohort(const std::string& id) override {
    for (const auto& c : s_.cohorts)
      if (c.id == id) return c;
    return std::nullopt;
  }
  std::vector<Cohort> cohorts(const std::string& sponsor_id, const auth::Scope& scope) override {
    return where([&](const Cohort& c) {
      return c.sponsor_id == sponsor_id &&
             (owns(scope, sponsor_id) || std::ranges::any_of(s_.memberships, [&](const Membership& m) {
                return m.cohort_id == c.id && scope.covers({"", m.rw_code, "", ""});
              }));
    });
  }
  std::vector<Cohort> cohorts_ended_before(Month month) override {
    return where([&](const Cohort& c) { return c.status == cohort_status::kActive && c.last < month; });
  }
  std::vector<Cohort> criteria_cohorts() override {
    return where([](const Cohort& c) { return c.status == cohort_status::kActive && c.max_members > 0; });
  }
  void save_cohort(const Cohort& cohort) override {
    const auto it = std::ranges::find(s_.cohorts, cohort.id, &Cohort::id);
    if (it == s_.cohorts.end()) {
      s_.cohorts.push_back(cohort);
    } else {
      *it = cohort;
    }
  }

 private:
  template <class Pred>
  std::vector<Cohort> where(Pred pred) {
    std::vector<Cohort> out;
    for (const auto& c : s_.cohorts)
      if (pred(c)) out.push_back(c);
    return out;
  }
  MemoryState& s_;
};

class MemoryMemberships : public virtual MembershipStore {
 public:
  explicit MemoryMemberships(MemoryState& state) : s_(state) {}
  std::vector<Membership> memberships_of(const std::string& participant_id) override {
    auto out = where([&](const Membership& m) { return m.participant_id == participant_id; });
    std::ranges::stable_sort(out, {}, [](const Membership& m) { return m.from.index(); });
    return out;
  }
  std::vector<Membership> members(const std::string& cohort_id) override {
    return where([&](const Membership& m) { return m.cohort_id == cohort_id; });
  }
  std::vector<Membership> members_within(const std::string& cohort_id, const auth::Scope& scope) override {
    return where([&](const Membership& m) {
      return m.cohort_id == cohort_id && scope.covers({"", m.rw_code, "", m.sponsor_id});
    });
  }
  void save_membership(const Membership& membership) override {
    const auto it = std::ranges::find_if(s_.memberships, [&](const Membership& m) {
      return m.cohort_id == membership.cohort_id && m.participant_id == membership.participant_id;
    });
    if (it == s_.memberships.end()) {
      s_.memberships.push_back(membership);
    } else {
      *it = membership;
    }
  }

 private:
  // By participant id, as the store orders a cohort's members.
  template <class Pred>
  std::vector<Membership> where(Pred pred) {
    std::vector<Membership> out;
    for (const auto& m : s_.memberships)
      if (pred(m)) out.push_back(m);
    std::ranges::stable_sort(out, {}, &Membership::participant_id);
    return out;
  }
  MemoryState& s_;
};

class MemoryParticipants : public virtual ParticipantStore {
 public:
  explicit MemoryParticipants(MemoryState& state) : s_(state) {}
  std::optional<Participant> participant(const std::string& id) override {
    const auto it = s_.participants.find(id);
    if (it == s_.participants.end()) return std::nullopt;
    return it->second;
  }
  void save_participant(const Participant& participant) override {
    s_.participants[participant.id] = participant;
  }
  bool add_participant(const Participant& participant) override {
    return s_.participants.emplace(participant.id, participant).second;
  }
  std::vector<Participant> candidates(const std::vector<std::string>& categories,
                                      const std::vector<std::string>& rw_codes, int limit) override {
    const auto any_or = [](const std::vector<std::string>& list, const std::string& value) {
      return list.empty() || std::ranges::find(list, value) != list.end();
    };
    std::vector<Participant> out;  // by id: the map's order
    for (const auto& [id, p] : s_.participants) {
      if (static_cast<int>(out.size()) >= limit) break;
      if (p.active && p.payer == "self" && any_or(categories, p.category) && any_or(rw_codes, p.rw_code))
        out.push_back(p);
    }
    return out;
  }

 private:
  MemoryState& s_;
};

class MemoryImpact : public virtual ImpactStore {
 public:
  explicit MemoryImpact(MemoryState& state) : s_(state) {}
  std::optional<Allocation> allocation(const std::string& id) override {
    const auto it = s_.allocations.find(id);
    if (it == s_.allocations.end()) return std::nullopt;
    return it->second;
  }
  void save_allocation(const Allocation& allocation) override { s_.allocations[allocation.id] = allocation; }
  std::vector<Allocation> allocations(const std::string& sponsor_id, Month from, Month to,
                                      const auth::Scope& scope) override {
    std::vector<Allocation> out;
    for (const auto& [id, a] : s_.allocations) {
      if (a.sponsor_id == sponsor_id && !a.refunded && within(a.period, from, to) &&
          scope.covers({"", a.rw_code, "", a.sponsor_id}))
        out.push_back(a);
    }
    return out;
  }
  void save_failure(const Failure& failure) override { s_.failures.push_back(failure); }
  std::vector<Failure> failures(const std::string& sponsor_id, Month from, Month to,
                                const auth::Scope& scope) override {
    std::vector<Failure> out;
    for (const auto& f : s_.failures) {
      if (f.sponsor_id == sponsor_id && within(f.period, from, to) &&
          scope.covers({"", f.rw_code, "", f.sponsor_id}))
        out.push_back(f);
    }
    return out;
  }
  bool save_claim(const ClaimImpact& claim) override {
    return s_.claims.emplace(claim.claim_id, claim).second;
  }
  std::vector<ClaimImpact> claims(const std::string& sponsor_id, Month from, Month to,
                                  const auth::Scope& scope) override {
    std::vector<ClaimImpact> out;
    for (const auto& [id, c] : s_.claims) {
      const auto month = Month::of_date(c.event_date);
      if (c.sponsor_id == sponsor_id && month && within(*month, from, to) &&
          scope.covers({"", c.rw_code, "", c.sponsor_id}))
        out.push_back(c);
    }
    return out;
  }

 private:
  static bool within(Month m, Month from, Month to) { return !(m < from) && !(to < m); }
  MemoryState& s_;
};

class MemoryProposals : public virtual ProposalStore {
 public:
  explicit MemoryProposals(MemoryState& state) : s_(state) {}
  std::optional<Proposal> proposal(const std::string& id) override {
    const auto it = s_.proposals.find(id);
    if (it == s_.proposals.end()) return std::nullopt;
    return it->second;
  }
  std::vector<Proposal> proposals(const std::string& kelurahan_code, const auth::Scope& scope) override {
    std::vector<Proposal> out;
    for (const auto& [id, p] : s_.proposals) {
      if (!kelurahan_code.empty() && p.kelurahan_code != kelurahan_code) continue;
      const bool to_sponsor =
          !scope.sponsor.empty() && std::ranges::any_of(p.items, [&](const ProposalItem& i) {
            return i.status == item_status::kPending || i.sponsor_id == scope.sponsor;
          });
      if (scope.covers({"", p.kelurahan_code, "", ""}) || to_sponsor) out.push_back(p);
    }
    return out;
  }
  void save_proposal(const Proposal& proposal) override { s_.proposals[proposal.id] = proposal; }

 private:
  MemoryState& s_;
};

// Transactions over a fake unit: a failed one leaves the state as it found it; a read that
// publishes is refused, as the store's reading connection would refuse a write.
template <class U>
class MemoryTransactions final : public Transactions<U> {
 public:
  MemoryTransactions(MemoryState& state, U& unit) : state_(state), unit_(unit) {}
  Result<void> transact(const std::function<Result<void>(U&)>& fn) override {
    const auto before = state_;
    auto done = fn(unit_);
    if (!done) state_ = before;
    ++transactions;
    return done;
  }
  Result<void> read(const std::function<Result<void>(U&)>& fn) override {
    const auto events = state_.events.size();
    auto done = fn(unit_);
    if (state_.events.size() != events) return fail(Error::internal("a read published an event"));
    return done;
  }
  int transactions = 0;

 private:
  MemoryState& state_;
  U& unit_;
};

// A part's fake unit: its unit class `U` with the fakes of the ports `U` lists. A fake missing
// leaves `U` abstract, and one too many is a port the part cannot reach anyway.
template <class U, class... Fakes>
class FakeUnit final : public U, public Fakes... {
 public:
  explicit FakeUnit(MemoryState& state) : Fakes(state)... {}
};

// A part's whole fake store: the state, its unit and its transactions.
template <class U, class... Fakes>
struct FakeStore {
  MemoryState state;
  FakeUnit<U, Fakes...> unit{state};
  MemoryTransactions<U> transactions{state, unit};
};

}  // namespace jaring::csr::testing
