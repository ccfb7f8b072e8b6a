#pragma once
// JKK and JKM benefits as effective-dated data (data/benefits.yaml): the schedule in effect on
// the event date gives every figure; the rules below turn it into benefit lines in whole rupiah,
// one line per component, each with the basis it was computed on.

#include <optional>
#include <string>
#include <vector>

#include "dates.hpp"
#include "jaring/common/money.hpp"
#include "jaring/common/result.hpp"
#include "model.hpp"

namespace jaring::claims {

struct ScholarshipLevel {
  std::string level;  // tk | sd | smp | sma | university
  Rupiah amount = 0;  // per child and year
  int max_years = 0;
};

// A row of the permanent partial disability table: a body part (or function) lost, by name, and
// its percentage in basis points.
struct BodyPart {
  std::string part;
  int rate_bp = 0;
};

struct BenefitSchedule {
  std::string name;
  Date effective_from;
  Rupiah max_declared_income = 0;  // the top tariff band: income counts up to it
  Rupiah max_benefit = 0;          // the most one claim pays
  Rupiah jkm_lump_sum = 0, jkm_periodic = 0, jkm_funeral = 0;
  int jkk_death_income_multiple = 0;
  Rupiah jkk_death_funeral = 0, jkk_death_periodic = 0;
  int incapacity_full_months = 0;
  int incapacity_full_rate_bp = 0;
  int incapacity_reduced_rate_bp = 0;
  int incapacity_max_months = 0;
  int jkk_claim_limit_years = 0;
  int scholarship_max_children = 0;
  int scholarship_max_age = 0;
  int scholarship_min_contribution_months = 0;  // the JKM scholarship only (after a jkm_death)
  std::vector<ScholarshipLevel> levels;
  // JKK permanent disability; a schedule without it (all zero) pays none.
  int disability_total_income_multiple = 0;    // total: this many x declared income
  int disability_partial_income_multiple = 0;  // partial: the parts' rates x this many x income
  int disability_partial_max_bp = 0;           // the parts' rates together count up to this
  std::vector<BodyPart> body_parts;

  const ScholarshipLevel* level(const std::string& code) const;
  const BodyPart* body_part(const std::string& part) const;
};

class BenefitTable {
 public:
  // Parses and validates YAML text; the error names every bad entry (`source` names the file).
  static Result<BenefitTable> parse(const std::string& yaml, const std::string& source);
  static Result<BenefitTable> make(std::vector<BenefitSchedule> schedules, const std::string& source);

  // The schedule in effect on a date; NOT_FOUND before the first one.
  Result<const BenefitSchedule*> on(Date date) const;
  const std::vector<BenefitSchedule>& schedules() const { return schedules_; }

 private:
  std::vector<BenefitSchedule> schedules_;  // by effective_from
};

// x * bp / 10000, rounded half up; x >= 0. std::nullopt when it does not fit.
std::optional<Rupiah> apply_rate(Rupiah amount, std::int64_t basis_points);

struct Benefit {
  std::vector<BenefitLine> lines;
  Rupiah total = 0;
};

// Benefit lines of a claim from the schedule: JKM death, JKK death (on the declared income),
// JKK permanent disability (total: a multiple of the declared income; partial: one line per body
// part at its rate x a multiple of it, the rates together capped),
// temporary incapacity (months at full, then reduced rate), medical costs (the verified amount,
// else the claimed one), scholarships (one line per child), and their total. The declared
// income counts up to the schedule's max_declared_income (a band above the top one was never
// paid for). Every figure is computed with checked arithmetic; a total above max_benefit is
// refused: INVALID_ARGUMENT on claimed_amount or verified_amount for medical costs (the input
// that drove it), FAILED_PRECONDITION otherwise (the validated table makes that unreachable).
Result<Benefit> compute_benefit(const Claim& claim, const BenefitSchedule& schedule, Rupiah declared_income);

}  // namespace jaring::claims
