#include "recount.hpp"

#include <cstdlib>

namespace jaring::coverage {

Result<std::vector<RwCoverage>> recount(RegistrationSource& source, const std::vector<RwCoverage>& previous) {
  auto rws = source.rws();
  if (!rws) return fail(rws.error());
  std::map<std::string, RwCoverage> by_code;
  for (const auto& old : previous) {
    auto& rw = by_code[old.rw_code];
    rw = old;
    rw.counters.registered = rw.counters.registrations = 0;
  }
  for (const auto& r : *rws) {
    auto& rw = by_code[r.rw_code];
    rw.rw_code = r.rw_code;
    rw.kelurahan_code = r.kelurahan_code;
    rw.target = r.target;
    rw.active = r.active;
  }
  auto counted = source.participants([&](const ParticipantRow& p) {
    auto& rw = by_code[p.rw_code];
    if (rw.rw_code.empty()) {  // a participant in an RW the registry did not list: count it anyway
      rw.rw_code = p.rw_code;
      rw.kelurahan_code = p.rw_code.substr(0, 13);
    }
    ++rw.counters.registrations;
    if (p.active) ++rw.counters.registered;
  });
  if (!counted) return fail(counted.error());
  std::vector<RwCoverage> out;
  for (auto& [_, rw] : by_code) out.push_back(std::move(rw));
  return out;
}

Drift drift(const std::vector<RwCoverage>& expected, const std::vector<RwCoverage>& counted) {
  std::map<std::string, std::int64_t> diff;
  for (const auto& rw : counted) diff[rw.rw_code] += rw.counters.registered;
  for (const auto& rw : expected) diff[rw.rw_code] -= rw.counters.registered;
  Drift out;
  for (const auto& [code, d] : diff) {
    if (d == 0) continue;
    out.by_rw[code] = d;
    out.workers += std::llabs(d);
    ++out.rws;
  }
  return out;
}

}  // namespace jaring::coverage
