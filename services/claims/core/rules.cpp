#include "rules.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "dates.hpp"

namespace jaring::claims {

bool is_death(const std::string& claim_type) {
  return claim_type == type::kJkmDeath || claim_type == type::kJkkDeath;
}

bool by_participant(const std::string& claim_type) {
  return claim_type == type::kJkkIncapacity || claim_type == type::kJkkMedical ||
         claim_type == type::kJkkTotalDisability || claim_type == type::kJkkPartialDisability;
}

std::optional<int> heir_rank(std::string_view relation) {
  static const std::map<std::string_view, int> kRanks = {
      {"spouse", 1},      {"child", 1},   {"parent", 2},        {"grandchild", 2},
      {"grandparent", 2}, {"sibling", 3}, {"parent_in_law", 4}, {"will", 5}};
  const auto it = kRanks.find(relation);
  if (it == kRanks.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> heir_refusal(const std::string& relation,
                                        const std::vector<FamilyMember>& family) {
  const auto rank = heir_rank(relation);
  if (!rank) return fmt::format("\"{}\" is not an heir relation", relation);
  for (const auto& member : family) {
    const auto other = heir_rank(member.relation);
    if (member.alive && other && *other < *rank)
      return fmt::format(
          "a living {} (heir rank {}) comes before a {} (rank {}): only the highest rank may claim",
          member.relation, *other, relation, *rank);
  }
  return std::nullopt;
}

std::vector<std::string> required_documents(const std::string& claim_type, const std::string& relation) {
  std::vector<std::string> docs;
  if (is_death(claim_type)) {
    docs = {"participant_card",  "ktp_deceased", "ktp_heir",
            "death_certificate", "family_card",  "heir_certificate"};
    if (relation == "spouse") docs.push_back("marriage_book");
  } else if (claim_type == type::kJkkIncapacity) {
    docs = {"participant_card", "ktp_participant", "accident_report", "medical_certificate"};
  } else if (claim_type == type::kJkkMedical) {
    docs = {"participant_card", "ktp_participant", "accident_report", "medical_receipts"};
  } else if (claim_type == type::kJkkTotalDisability || claim_type == type::kJkkPartialDisability) {
    // The doctor's statement of the permanent disability and its extent.
    docs = {"participant_card", "ktp_participant", "accident_report", "disability_certificate"};
  } else if (claim_type == type::kScholarship) {
    docs = {"ktp_heir", "family_card", "school_certificate"};
  }
  return docs;
}

std::vector<std::string> missing_documents(const Claim& claim) {
  std::vector<std::string> out;
  for (const auto& d : claim.documents) {
    if (!d.received) out.push_back(d.code);
  }
  return out;
}

Coverage judge_coverage(const Participant& participant, std::span<const PeriodFact> periods,
                        const std::string& event_date, const Settings& settings) {
  Coverage c;
  const auto event = parse_date(event_date);
  const auto first = parse_date(participant.registered_on);
  if (!event || !first) {
    c.state = "not_participating";
    c.reason = "the participation's start is unknown";
    return c;
  }
  if (*event < *first) {
    c.state = "not_participating";
    c.reason = fmt::format("the event on {} is before the participation began ({})", event_date,
                           participant.registered_on);
    return c;
  }
  if (!participant.exit_date.empty() && event_date > participant.exit_date) {
    c.state = "not_participating";
    c.reason = fmt::format("the event on {} is after the participation ended ({}, {})", event_date,
                           participant.exit_date, participant.exit_reason);
    return c;
  }
  const int month = month_index(*event);
  const int first_month = month_index(*first);
  // Fully paid by the end of the event date: money paid afterwards cannot buy past protection.
  std::map<int, bool> paid;
  for (const auto& p : periods) paid[p.period] = p.paid && !p.paid_on.empty() && p.paid_on <= event_date;
  for (const auto& [period, ok] : paid) {
    if (ok && period <= month) ++c.contribution_months;
  }
  for (int m = month; m >= first_month; --m) {
    const auto it = paid.find(m);
    if (it != paid.end() && it->second) break;
    ++c.unpaid_months;
  }
  const auto period = month_text(month);
  if (c.contribution_months == 0) {
    // Arrears are falling behind after paying: protection starts with the first payment.
    c.state = "never_paid";
    c.reason = fmt::format("no month was paid by {}: protection starts with the first payment", event_date);
  } else if (c.unpaid_months == 0) {
    c.state = "active";
    c.eligible = true;
    c.reason = fmt::format("{} was paid by {}", period, event_date);
  } else if (c.unpaid_months <= settings.lapse_after_months) {
    c.state = "arrears";
    c.eligible = settings.arrears_rule == ArrearsRule::kEligible;
    c.reason = fmt::format(
        "{} was not paid by {}: {} unpaid month(s) in a row, within the arrears window of {} "
        "({})",
        period, event_date, c.unpaid_months, settings.lapse_after_months,
        c.eligible ? "claims.arrears_rule=eligible protects it"
                   : "claims.arrears_rule=not_eligible refuses it");
  } else {
    c.state = "lapsed";
    c.reason = fmt::format("coverage had lapsed on {}: {} unpaid month(s) in a row up to {} (more than {})",
                           event_date, c.unpaid_months, period, settings.lapse_after_months);
  }
  return c;
}

std::string branch_on(std::span<const BranchChange> changes, const std::string& date,
                      const std::string& current) {
  if (changes.empty()) return current;
  auto branch = changes.front().branch_code;
  // YYYY-MM-DD compares as text in date order.
  for (const auto& c : changes) {
    if (c.effective_on <= date) branch = c.branch_code;
  }
  return branch;
}

Rupiah income_on(std::span<const IncomeChange> changes, const std::string& date, Rupiah current) {
  if (changes.empty()) return current;
  Rupiah band = changes.front().band;
  // YYYY-MM-DD compares as text in date order.
  for (const auto& c : changes) {
    if (c.effective_on <= date) band = c.band;
  }
  return band;
}

}  // namespace jaring::claims
