#include "recount.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "jaring/common/money.hpp"

namespace jaring::coverage {
namespace {

RwCoverage& rw_of(std::map<std::string, RwCoverage>& by_code, const std::string& code) {
  auto& rw = by_code[code];
  if (rw.rw_code.empty()) {  // an RW the registry did not list: count it anyway
    rw.rw_code = code;
    rw.kelurahan_code = code.substr(0, 13);
  }
  return rw;
}

}  // namespace

Result<std::vector<RwCoverage>> recount(const Owners& owners) {
  std::map<std::string, RwCoverage> by_code;
  if (owners.registration != nullptr) {
    auto rws = owners.registration->rws();
    if (!rws) return fail(rws.error());
    for (const auto& r : *rws) {
      auto& rw = by_code[r.rw_code];
      rw.rw_code = r.rw_code;
      rw.kelurahan_code = r.kelurahan_code;
      rw.target = r.target;
      rw.active = r.active;
    }
    auto counted = owners.registration->participants([&](const ParticipantRow& p) {
      auto& rw = rw_of(by_code, p.rw_code);
      ++rw.counters.registrations;
      if (p.active) ++rw.counters.registered;
    });
    if (!counted) return fail(counted.error());
  }
  if (owners.contribution != nullptr) {
    // Only the states coverage counts; "none" and "closed" are counted nowhere.
    auto counted = owners.contribution->facts([&](const OwnerFact& f) {
      auto& c = rw_of(by_code, f.rw_code).counters;
      if (f.state == "awaiting") ++c.awaiting;
      if (f.state == "active") ++c.active;
      if (f.state == "arrears") ++c.arrears;
      if (f.state == "lapsed") ++c.lapsed;
    });
    if (!counted) return fail(counted.error());
  }
  if (owners.sponsors != nullptr) {
    auto counted =
        owners.sponsors->facts([&](const OwnerFact& f) { ++rw_of(by_code, f.rw_code).counters.sponsored; });
    if (!counted) return fail(counted.error());
  }
  if (owners.claims != nullptr) {
    bool overflow = false;
    auto counted = owners.claims->facts([&](const OwnerFact& f) {
      auto& c = rw_of(by_code, f.rw_code).counters;
      ++c.claims_paid;
      const auto sum = checked_add(c.claims_paid_rupiah, f.amount_rupiah);
      overflow = overflow || !sum;
      if (sum) c.claims_paid_rupiah = *sum;
    });
    if (!counted) return fail(counted.error());
    if (overflow) return fail(Error::internal("claims paid in one RW overflow 64-bit rupiah"));
  }
  std::vector<RwCoverage> out;
  out.reserve(by_code.size());
  for (auto& [_, rw] : by_code) out.push_back(std::move(rw));
  return out;
}

std::int64_t count_difference(const Counters& difference) {
  std::int64_t out = 0;
  for (const char* name : kCounterFields) {
    if (std::string_view(name) != "claims_paid_rupiah") out += std::llabs(*field_of(difference, name));
  }
  return out;
}

Drift drift(const std::vector<RwCoverage>& expected, const std::vector<RwCoverage>& counted) {
  std::map<std::string, Counters> diff;
  for (const auto& rw : counted) diff[rw.rw_code] += rw.counters;
  for (const auto& rw : expected) diff[rw.rw_code] = diff[rw.rw_code] - rw.counters;
  Drift out;
  for (const auto& [code, d] : diff) {
    if (d == Counters{}) continue;
    out.by_rw[code] = d;
    out.workers += count_difference(d);
    ++out.rws;
  }
  return out;
}

}  // namespace jaring::coverage
