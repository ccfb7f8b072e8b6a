#include "coverage.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace jaring::coverage {

Counters& Counters::operator+=(const Counters& o) {
  registered += o.registered;
  active += o.active;
  arrears += o.arrears;
  lapsed += o.lapsed;
  sponsored += o.sponsored;
  claims_paid += o.claims_paid;
  claims_paid_rupiah += o.claims_paid_rupiah;
  return *this;
}

Result<std::vector<CounterOp>> plan(const RwCreated& event) {
  const auto rw = areas::RwCode::parse(event.rw_code);
  if (!rw || rw->kelurahan != event.kelurahan_code) {
    return fail(Error::invalid({{"rw_code", fmt::format("'{}' is not an RW code under '{}'", event.rw_code,
                                                        event.kelurahan_code)}}));
  }
  if (event.target < 1) return fail(Error::invalid({{"target", "must be at least 1"}}));
  return std::vector<CounterOp>{{CounterOp::Kind::kDeclareRw, event.rw_code, "", event.target}};
}

Result<std::vector<CounterOp>> plan(const ParticipantRegistered& event) {
  if (!areas::RwCode::parse(event.rw_code)) {
    return fail(Error::invalid({{"rw_code", fmt::format("'{}' is not an RW code", event.rw_code)}}));
  }
  return std::vector<CounterOp>{{CounterOp::Kind::kIncrement, event.rw_code, "registered", 1}};
}

Result<RwCoverage> Queries::rw(const std::string& rw_code) {
  if (!areas::RwCode::parse(rw_code)) {
    return fail(Error::invalid({{"rw_code", "must be an RW code like 31.75.06.1005.002"}}));
  }
  auto found = reader_.rw(rw_code);
  if (!found) return fail(found.error());
  if (!*found) return fail(Error::not_found(fmt::format("RW {} has no coverage yet", rw_code)));
  return **found;
}

Result<KelurahanCoverage> Queries::kelurahan(const std::string& kelurahan_code) {
  const auto* area = areas_.find(kelurahan_code);
  if (area == nullptr || area->level != areas::Level::kKelurahan) {
    return fail(
        Error::invalid({{"kelurahan_code", "must be the code of a known kelurahan, e.g. 31.75.06.1005"}}));
  }
  auto rws = reader_.rws_of_kelurahan(kelurahan_code);
  if (!rws) return fail(rws.error());
  KelurahanCoverage out;
  out.kelurahan_code = kelurahan_code;
  out.rws = std::move(*rws);
  std::sort(out.rws.begin(), out.rws.end(),
            [](const auto& a, const auto& b) { return a.rw_code < b.rw_code; });
  for (const auto& rw : out.rws) {
    out.totals += rw.counters;
    if (rw.at_target()) ++out.rws_at_target;
  }
  return out;
}

Result<std::vector<KelurahanCoverage>> Queries::kelurahans() {
  auto codes = reader_.kelurahans();
  if (!codes) return fail(codes.error());
  std::vector<KelurahanCoverage> out;
  for (const auto& code : *codes) {
    auto one = kelurahan(code);
    if (!one) return fail(one.error());
    out.push_back(std::move(*one));
  }
  return out;
}

}  // namespace jaring::coverage
