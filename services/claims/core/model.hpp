#pragma once
// The claims domain: the local projections learnt from registration and contribution events
// (participants, and what was paid for each period), claims with their documents, benefit lines
// and history, and the events announcing changes.

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "jaring/common/money.hpp"

namespace jaring::claims {

namespace type {
inline constexpr const char* kJkmDeath = "jkm_death";
inline constexpr const char* kJkkDeath = "jkk_death";
inline constexpr const char* kJkkIncapacity = "jkk_temporary_incapacity";
inline constexpr const char* kJkkMedical = "jkk_medical";
inline constexpr const char* kScholarship = "scholarship";
// JKK permanent disability after a work accident, claimed by the participant.
inline constexpr const char* kJkkTotalDisability = "jkk_total_disability";
inline constexpr const char* kJkkPartialDisability = "jkk_partial_disability";
}  // namespace type

namespace status {
inline constexpr const char* kFiled = "filed";
inline constexpr const char* kVerified = "verified";
inline constexpr const char* kApproved = "approved";
inline constexpr const char* kPaid = "paid";
inline constexpr const char* kRejected = "rejected";
}  // namespace status

// A declared income band and the day (YYYY-MM-DD, Asia/Jakarta) it took effect: a claim's
// benefit uses the band in force on its event date, not the latest one.
struct IncomeChange {
  std::string effective_on;
  Rupiah band = 0;
};

// The branch office serving a participant from a day (YYYY-MM-DD) on: registration's, then each
// move's. A claim belongs to the branch in force on its event date.
struct BranchChange {
  std::string effective_on;
  std::string branch_code;
};

// A participation as registration answers it when a claim needs it (GetParticipantFacts): claims
// keeps no copy of participants.
struct Participant {
  std::string participant_id;
  std::string rw_code;
  std::string branch_code;  // serving now
  std::string category;
  std::string agent_id;
  Rupiah income_band = 0;  // declared now
  std::string registered_on;
  std::string exit_reason;
  std::string exit_date;
  // The participation's bands and branches by effective_on, oldest first; empty while the field
  // never changed (the value above held from registered_on on).
  std::vector<IncomeChange> incomes;
  std::vector<BranchChange> branches;
};

// One contribution period of a participant, from jaring.contribution.v1.
struct PeriodFact {
  int period = 0;  // month index
  bool billed = false;
  bool paid = false;
  std::string paid_on;  // YYYY-MM-DD (Asia/Jakarta) the period became fully paid
};

// How events during arrears are judged (sources disagree, so it is a setting).
enum class ArrearsRule {
  kEligible,     // unpaid but within the arrears window still protects
  kNotEligible,  // only a paid period protects
};

struct Settings {
  ArrearsRule arrears_rule = ArrearsRule::kEligible;
  int lapse_after_months = 3;  // unpaid months (the event's included) beyond which coverage lapsed
};

// The state of the period containing the event date, as it was on that date.
struct Coverage {
  std::string state;  // active | arrears | lapsed | never_paid | not_participating
  std::string reason;
  bool eligible = false;
  int unpaid_months = 0;        // consecutive unpaid months ending with the event's month
  int contribution_months = 0;  // months fully paid by the event date
};

struct FamilyMember {
  std::string relation;
  bool alive = true;
  std::string name;
};

struct Child {
  std::string name;
  std::string birth_date;
  std::string level;
  int school_year = 0;
  bool married = false;
  bool working = false;
};

struct Claimant {
  std::string name, nik, relation, phone;
};

struct BenefitLine {
  std::string component;
  Rupiah amount = 0;
  std::string basis;
};

struct Document {
  std::string code;
  bool received = false;
  std::string received_by;
  std::string received_at;
};

struct HistoryEntry {
  std::string action, from_status, to_status, user, role, at, note;
};

// Who does a step: the verified caller, as the adapter took it from the call's token. The core
// compares subjects after auth::normalise_subject, so "Budi", " budi " and "BUDI" are one person.
struct Actor {
  std::string subject;
  std::string roles;  // "agent,branch-officer": recorded in the claim's history
};

// A paid claim as ClaimPaid announced it (ExportPaidClaims, for coverage's rebuild).
struct PaidClaimFact {
  std::string claim_id;
  std::string participant_id;
  std::string rw_code;
  Rupiah amount = 0;
  std::string paid_on;
};

struct Claim {
  std::string id;
  std::string idempotency_key;
  std::string fingerprint;  // of the filing request, to refuse a key reused for something else
  std::string participant_id;
  std::string type;
  std::string status;
  std::string event_date;
  std::string rw_code;
  std::string branch_code;
  std::string agent_id;
  Claimant claimant;
  std::vector<FamilyMember> family;
  Coverage coverage;
  int incapacity_months = 0;
  std::vector<std::string> body_parts;  // jkk_partial_disability: entries of the schedule's table
  Rupiah claimed_amount = 0;
  Rupiah verified_amount = 0;
  Rupiah requested_amount = 0;
  std::string death_claim_id;
  int scholarship_year = 0;
  std::vector<Child> children;
  std::vector<BenefitLine> lines;
  Rupiah total = 0;
  std::vector<Document> documents;  // the claim type's checklist
  std::string rejection_reason;
  std::string filed_by;
  std::string filed_at;     // RFC 3339 UTC
  std::string filed_month;  // YYYY-MM (Asia/Jakarta)
  std::string verified_by;
  std::string approved_by;
  std::string paid_on;
  std::string paid_by;
  std::string pay_key;
  std::string payment_reference;
  std::string note;
  std::vector<HistoryEntry> history;
};

// ---- events (the adapters encode them on jaring.claims.v1; no NIK and no name) ----

struct ClaimFiled {
  Claim claim;
};
struct ClaimApproved {
  Claim claim;
};
struct ClaimRejected {
  Claim claim;
  std::string rejected_by;
};
struct ClaimPaid {
  Claim claim;
  bool ends_participation = false;
};
using Event = std::variant<ClaimFiled, ClaimApproved, ClaimRejected, ClaimPaid>;

// ---- queries ----

struct ClaimFilter {
  std::string branch_code, status, period;
  int page_size = 50;
  std::string page_token;  // the last claim id of the previous page
};

struct ClaimPage {
  std::vector<Claim> claims;
  std::string next_page_token;
};

// A child who received a scholarship, with the last year claimed.
struct ScholarshipRecord {
  std::string participant_id, death_claim_id, branch_code;
  Child child;
  int year = 0;
};

struct ScholarshipDue {
  std::string participant_id, death_claim_id, branch_code;
  Child last;  // level and school year of the last claim
  int last_year = 0;
  int age = 0;
};

}  // namespace jaring::claims
