#pragma once
// The claims rules as use cases: the local projection of paid periods (from contribution events,
// each applied once), participants as registration answers for them when a claim needs one, and
// the claim lifecycle filed > verified > approved > paid, or rejected with a reason. Every step records who
// did it and when; every change and its events commit together through the Store.

#include <span>
#include <string>
#include <vector>

#include "benefits.hpp"
#include "jaring/auth/policy.hpp"
#include "jaring/common/clock.hpp"
#include "ports.hpp"

namespace jaring::claims {

struct FileCommand {
  std::string idempotency_key;
  std::string participant_id;
  std::string claim_type;
  std::string event_date;
  Claimant claimant;
  std::vector<FamilyMember> family;
  std::string agent_id;
  int incapacity_months = 0;
  std::vector<std::string> body_parts;  // jkk_partial_disability: the parts lost, by table name
  Rupiah claimed_amount = 0;
  std::string death_claim_id;
  int scholarship_year = 0;
  std::vector<Child> children;
  Rupiah requested_amount = 0;
  std::string note;
};

// Facts from contribution events.
struct PaymentFacts {
  std::string payment_id;
  std::string participant_id;
  std::vector<std::string> periods;       // touched
  std::vector<std::string> paid_periods;  // left fully paid (empty from older producers)
  std::string covered_through;
};

class Claims {
 public:
  Claims(Store& store, Registry& registry, const BenefitTable& benefits, Settings settings,
         const Clock& clock)
      : store_(store), registry_(registry), benefits_(benefits), settings_(settings), clock_(clock) {}

  // ---- the periods' projection, each event applied once per event id; `at` is when it happened ----
  Result<void> contribution_billed(const std::string& event_id, const std::string& participant_id,
                                   const std::string& period, Rupiah outstanding, TimePoint at);
  Result<void> payment_received(const std::string& event_id, const PaymentFacts& payment, TimePoint at);
  Result<void> payment_reversed(const std::string& event_id, const std::string& participant_id,
                                const std::string& payment_id);

  // ---- lifecycle ----
  // Filing, the verification of medical costs and approval ask registration for the participant
  // first: UNAVAILABLE when it cannot answer, and nothing is written (a retried filing is answered
  // from the store all the same).
  // Each step acts on what `scope` reaches: a participant out of scope is answered as an unknown
  // one, a claim out of scope as a missing one (no existence leak). Maker-checker on normalised
  // subjects: filer, verifier and approver are three different people; the payer is not the
  // approver (PERMISSION_DENIED naming the rule). Each history line records the subject and roles.
  // An agent files under their own agent id; a filing that names no agent keeps the participant's.
  Result<Claim> file(const FileCommand& command, const Actor& actor, const auth::Scope& scope);
  Result<Claim> attach_documents(const std::string& claim_id, const std::vector<std::string>& documents,
                                 const Actor& actor, const auth::Scope& scope);
  Result<Claim> verify(const std::string& claim_id, Rupiah verified_amount, const std::string& note,
                       const Actor& actor, const auth::Scope& scope);
  Result<Claim> approve(const std::string& claim_id, const std::string& note, const Actor& actor,
                        const auth::Scope& scope);
  Result<Claim> pay(const std::string& claim_id, const std::string& idempotency_key,
                    const std::string& reference, const Actor& actor, const auth::Scope& scope);
  Result<Claim> reject(const std::string& claim_id, const std::string& reason, const Actor& actor,
                       const auth::Scope& scope);

  // ---- queries, of what `scope` reaches ----
  Result<Claim> get(const std::string& claim_id, const auth::Scope& scope);
  Result<ClaimPage> list(const ClaimFilter& filter, const auth::Scope& scope);
  // Children whose yearly re-claim is due in school `year`; 0: this year by the service's clock
  // (Asia/Jakarta), so that the list moves on when the clock crosses into a new year.
  Result<std::vector<ScholarshipDue>> scholarships_due(int year, const std::string& branch_code,
                                                       const auth::Scope& scope);
  // Coverage of a participant on a date, from registration's answer and the paid periods
  // (diagnostics and tests).
  // Every paid claim (see jaring/common/export.hpp for when it refuses).
  Result<void> export_paid(const std::function<bool(const PaidClaimFact&)>& sink);
  Result<Coverage> coverage_on(const std::string& participant_id, const std::string& date, const Actor& actor,
                               const auth::Scope& scope);

  const Settings& settings() const { return settings_; }

 private:
  // Runs fn on a stored claim the scope reaches, in a transaction, after checking the actor
  // (normalised by the caller); fn changes the claim, which is then saved with its events.
  Result<Claim> step(const std::string& claim_id, const Actor& actor, const auth::Scope& scope,
                     const std::function<Result<void>(Unit&, Claim&, std::vector<Event>&)>& fn);
  Result<void> project(const std::string& event_id, const std::function<Result<void>(Unit&)>& fn);
  // The participant of the stored claim `claim_id`, asked of registration before a step's
  // transaction; nullopt when the claim is not there for `scope`, or is not of `only_type` (when
  // given): the step answers for itself.
  Result<std::optional<Participant>> participant_of(const std::string& claim_id, const Actor& actor,
                                                    const auth::Scope& scope,
                                                    std::string_view only_type = {});
  std::string today() const;

  Store& store_;
  Registry& registry_;
  const BenefitTable& benefits_;
  Settings settings_;
  const Clock& clock_;
};

// Claims::file in parts, each testable alone; file runs them in this order.
// The checks that need no store nor schedule beyond amount ceilings: every broken rule at once
// (an empty list when the filing may go on).
std::vector<FieldViolation> check_filing(const FileCommand& command, const BenefitTable& benefits,
                                         Date today);
// The rules of the event's schedule on the claim type: incapacity months (at most the schedule's,
// and only months passed by `today`) and permanent disability (the schedule pays it; body parts
// by the table's names, each once). INVALID_ARGUMENT naming the field.
Result<void> check_type_rules(const FileCommand& command, const BenefitSchedule& schedule, Date today);
// A scholarship's children against the schedule and the scholarships claimed before for the same
// death: at most max_children, levels and years, age, marriage, work, once a year.
Result<void> check_scholarship(const FileCommand& command, const BenefitSchedule& schedule,
                               std::span<const ScholarshipRecord> previous);
// The rule that refuses a claim the filing checks let through (it is recorded, then rejected
// with this reason), or "": not covered on the event date (claim.coverage, judged before), the
// JKM scholarship's minimum period (`death`: the paid death claim of a scholarship), the JKK
// 5-year limit.
std::string rule_refusal(const Claim& claim, const Claim* death, const BenefitSchedule& schedule, Date today);

// The fingerprint of a filing, to tell a retry from a different request under the same key.
std::string fingerprint(const FileCommand& command);

// What a scope judges of a participant and of a claim.
auth::ScopedRow row_of(const Participant& participant);
auth::ScopedRow row_of(const Claim& claim);

}  // namespace jaring::claims
