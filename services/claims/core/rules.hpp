#pragma once
// The claim rules that need no store: who may claim (heirs by rank), which documents each
// claim type needs, and whether coverage protected the event date (business time).

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"

namespace jaring::claims {

inline constexpr std::string_view kClaimTypes[] = {"jkm_death",
                                                   "jkk_death",
                                                   "jkk_temporary_incapacity",
                                                   "jkk_medical",
                                                   "scholarship",
                                                   "jkk_total_disability",
                                                   "jkk_partial_disability"};
inline constexpr std::string_view kRelations[] = {"spouse",      "child",   "parent",        "grandchild",
                                                  "grandparent", "sibling", "parent_in_law", "will"};

bool is_death(const std::string& claim_type);
// Claims made by the participant, not by an heir.
bool by_participant(const std::string& claim_type);

// Heir rank (1 highest): spouse or child 1; parent, grandchild, grandparent 2; sibling 3;
// parent-in-law 4; a person named in a will 5. nullopt for anything else.
std::optional<int> heir_rank(std::string_view relation);

// Why `relation` may not claim while the living family holds a higher rank; nullopt when it may.
std::optional<std::string> heir_refusal(const std::string& relation, const std::vector<FamilyMember>& family);

// The checklist of a claim type; a spouse also shows the marriage book.
std::vector<std::string> required_documents(const std::string& claim_type, const std::string& relation);
std::vector<std::string> missing_documents(const Claim& claim);

// The histories of bands and branches start at a participant's first change, with the one of its
// registration from the registration day: until then the participant's own value is the only one
// (registration's GetParticipantFacts).

// The income band in force on `date` (YYYY-MM-DD): the latest change effective on or before it;
// before the first change, the first one (the band declared at registration); `current` when no
// change is known.
Rupiah income_on(std::span<const IncomeChange> changes, const std::string& date, Rupiah current);

// The branch in force on `date` (YYYY-MM-DD): the latest change effective on or before it;
// before the first one, the first; `current` when no change is known.
std::string branch_on(std::span<const BranchChange> changes, const std::string& date,
                      const std::string& current);

// The state of the event date's period on that date: paid (active); unpaid but at most
// lapse_after_months unpaid months in a row (arrears: `settings.arrears_rule` decides); lapsed;
// nothing paid yet (never_paid); or outside the participation. Payments received after the
// event date do not count.
Coverage judge_coverage(const Participant& participant, std::span<const PeriodFact> periods,
                        const std::string& event_date, const Settings& settings);

}  // namespace jaring::claims
