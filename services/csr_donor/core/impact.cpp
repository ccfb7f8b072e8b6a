#include "impact.hpp"

#include <map>
#include <set>

#include "jaring/common/export.hpp"
#include "jaring/common/money.hpp"
#include "rules.hpp"

namespace jaring::csr {

Result<void> ImpactReports::export_sponsorships(const std::function<bool(const SponsorshipFact&)>& sink) {
  return export_published<SponsorshipFact>(
      [&](const std::string& after, int limit) { return sponsorships_.sponsorships_page(after, limit); },
      [](const SponsorshipFact& f) { return f.participant_id; }, [&] { return sponsorships_.unpublished(); },
      sink);
}

Result<Impact> ImpactReports::impact(const std::string& sponsor_id, const std::string& from_text,
                                     const std::string& to_text, const auth::Scope& scope) {
  std::vector<FieldViolation> bad;
  const auto from = Month::parse(from_text);
  const auto to = Month::parse(to_text);
  if (sponsor_id.empty()) bad.push_back({"sponsor_id", "required"});
  if (!from) bad.push_back({"from_period", "must be a month YYYY-MM"});
  if (!to) bad.push_back({"to_period", "must be a month YYYY-MM"});
  if (from && to && *to < *from) bad.push_back({"to_period", "must not be before from_period"});
  if (!bad.empty()) return fail(Error::invalid(std::move(bad)));
  if (!owns(scope, sponsor_id) && scope.areas.empty()) return fail(no_sponsor(sponsor_id));
  Impact out;
  auto done = store_.read([&](ImpactUnit& unit) -> Result<void> {
    auto s = unit.sponsor(sponsor_id);
    if (!s) return fail(no_sponsor(sponsor_id));
    out.sponsor_id = s->id;
    out.sponsor_name = s->name;
    out.from_period = from->str();
    out.to_period = to->str();
    // Sums of stored figures: one that does not fit says so rather than wrap.
    const auto add_to = [](Rupiah& sum, Rupiah amount) {
      const auto next = checked_add(sum, amount);
      if (next) sum = *next;
      return next.has_value();
    };
    const auto too_large = [] {
      return precondition("the impact figures of these periods do not fit in a rupiah figure",
                          {{"to_period", "choose a shorter range"}});
    };
    std::map<std::string, RwImpact> rws;
    std::map<std::string, std::set<std::string>> workers_by_rw;
    std::set<std::string> workers;
    for (const auto& a : unit.allocations(sponsor_id, *from, *to, scope)) {
      auto& rw = rws[a.rw_code];
      rw.rw_code = a.rw_code;
      ++rw.months_funded;
      if (!add_to(rw.spent, a.amount) || !add_to(out.spent, a.amount)) return fail(too_large());
      workers_by_rw[a.rw_code].insert(a.participant_id);
      workers.insert(a.participant_id);
      ++out.months_funded;
    }
    for (const auto& c : unit.claims(sponsor_id, *from, *to, scope)) {
      auto& rw = rws[c.rw_code];
      rw.rw_code = c.rw_code;
      ++rw.claims_paid;
      ++out.claims_paid;
      if (!add_to(rw.claims_amount, c.amount) || !add_to(out.claims_amount, c.amount))
        return fail(too_large());
    }
    out.payments_failed = static_cast<int>(unit.failures(sponsor_id, *from, *to, scope).size());
    for (auto& [code, rw] : rws) {
      rw.workers = static_cast<int>(workers_by_rw[code].size());
      out.rws.push_back(rw);
    }
    out.workers_protected = static_cast<int>(workers.size());
    out.rws_reached = static_cast<int>(workers_by_rw.size());
    return {};
  });
  if (!done) return fail(done.error());
  return out;
}

}  // namespace jaring::csr
