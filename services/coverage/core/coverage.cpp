#include "coverage.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>

namespace jaring::coverage {
namespace {

using Kind = CounterOp::Kind;

Error bad_rw(const std::string& field, const std::string& code) {
  return Error::invalid({{field, fmt::format("'{}' is not an RW code like 31.75.06.1005.002", code)}});
}

bool valid_rw(const std::string& code) { return areas::RwCode::parse(code).has_value(); }

// Coverage states contribution reports, and the counter each one is counted in. "" and "none"
// (no account) are counted nowhere.
Result<const char*> state_counter(const std::string& field, const std::string& state) {
  for (const char* counted : {"awaiting", "active", "arrears", "lapsed"}) {
    if (state == counted) return counted;
  }
  if (state.empty() || state == "none") return nullptr;
  return fail(Error::invalid(
      {{field, fmt::format("'{}' is not one of none, awaiting, active, arrears, lapsed", state)}}));
}

// The counter of each name of kCounterFields, in its order. A roll-up adds every RW of an area
// member by member (a kota's 400, for each question a dashboard asks), not by looking names up.
constexpr std::array<std::int64_t Counters::*, std::size(kCounterFields)> kCounterMembers{
    &Counters::registered,
    &Counters::active,
    &Counters::arrears,
    &Counters::lapsed,
    &Counters::sponsored,
    &Counters::claims_paid,
    &Counters::claims_paid_rupiah,
    &Counters::registrations,
    &Counters::awaiting};
static_assert(std::ranges::none_of(kCounterMembers, [](auto member) { return member == nullptr; }),
              "every name of kCounterFields has its counter");

}  // namespace

Counters& Counters::operator+=(const Counters& o) {
  for (const auto member : kCounterMembers) this->*member += o.*member;
  return *this;
}

Counters Counters::operator-(const Counters& o) const {
  Counters out = *this;
  for (const auto member : kCounterMembers) out.*member -= o.*member;
  return out;
}

std::int64_t* field_of(Counters& c, std::string_view name) {
  for (std::size_t i = 0; i < kCounterMembers.size(); ++i) {
    if (name == kCounterFields[i]) return &(c.*kCounterMembers[i]);
  }
  return nullptr;
}

const std::int64_t* field_of(const Counters& c, std::string_view name) {
  return field_of(const_cast<Counters&>(c), name);
}

const char* to_string(AreaLevel level) {
  switch (level) {
    case AreaLevel::kProvince:
      return "province";
    case AreaLevel::kKota:
      return "kota";
    case AreaLevel::kKecamatan:
      return "kecamatan";
    case AreaLevel::kKelurahan:
      return "kelurahan";
    case AreaLevel::kBranch:
      return "branch";
  }
  return "";
}

void AreaSummary::add(const RwCoverage& rw) {
  totals += rw.counters;
  if (!rw.active) return;
  ++rw_count;
  target += rw.target;
  if (rw.at_target()) ++rws_at_target;
}

Result<std::vector<CounterOp>> plan(const RwCreated& event) {
  const auto rw = areas::RwCode::parse(event.rw_code);
  if (!rw || rw->kelurahan != event.kelurahan_code) {
    return fail(Error::invalid({{"rw_code", fmt::format("'{}' is not an RW code under '{}'", event.rw_code,
                                                        event.kelurahan_code)}}));
  }
  if (event.target < 1) return fail(Error::invalid({{"target", "must be at least 1"}}));
  return std::vector<CounterOp>{{Kind::kDeclareRw, event.rw_code, "", event.target}};
}

Result<std::vector<CounterOp>> plan(const RwUpdated& event) {
  auto declared = plan(RwCreated{event.rw_code, event.kelurahan_code, event.target});
  if (!declared) return declared;
  declared->push_back({Kind::kSet, event.rw_code, "active_rw", event.active ? 1 : 0});
  return declared;
}

Result<std::vector<CounterOp>> plan(const ParticipantRegistered& event) {
  if (!valid_rw(event.rw_code)) return fail(bad_rw("rw_code", event.rw_code));
  // One per event of the busiest topic: sized once.
  std::vector<CounterOp> ops;
  ops.reserve(3);
  ops.push_back({Kind::kIncrement, event.rw_code, "registered", 1});
  ops.push_back({Kind::kIncrement, event.rw_code, "registrations", 1});
  if (event.counted_awaiting) ops.push_back({Kind::kIncrement, event.rw_code, "awaiting", 1});
  return ops;
}

Result<std::vector<CounterOp>> plan(const ParticipantMoved& event) {
  if (!valid_rw(event.from_rw_code)) return fail(bad_rw("from_rw_code", event.from_rw_code));
  if (!valid_rw(event.to_rw_code)) return fail(bad_rw("to_rw_code", event.to_rw_code));
  if (event.from_rw_code == event.to_rw_code) return std::vector<CounterOp>{};
  return std::vector<CounterOp>{{Kind::kIncrement, event.from_rw_code, "registered", -1},
                                {Kind::kIncrement, event.to_rw_code, "registered", 1}};
}

Result<std::vector<CounterOp>> plan(const ParticipantExited& event) {
  if (!valid_rw(event.rw_code)) return fail(bad_rw("rw_code", event.rw_code));
  return std::vector<CounterOp>{{Kind::kIncrement, event.rw_code, "registered", -1}};
}

Result<std::vector<CounterOp>> plan(const CoverageChanged& event) {
  if (!valid_rw(event.rw_code)) return fail(bad_rw("rw_code", event.rw_code));
  const auto& from_rw = event.previous_rw_code.empty() ? event.rw_code : event.previous_rw_code;
  if (!valid_rw(from_rw)) return fail(bad_rw("previous_rw_code", from_rw));
  auto from = state_counter("from_state", event.from_state);
  if (!from) return fail(from.error());
  auto to = state_counter("to_state", event.to_state);
  if (!to) return fail(to.error());
  std::vector<CounterOp> ops;
  if (*from != nullptr) ops.push_back({Kind::kIncrement, from_rw, *from, -1});
  if (*to != nullptr) ops.push_back({Kind::kIncrement, event.rw_code, *to, 1});
  return ops;
}

Result<std::vector<CounterOp>> plan(const ClaimPaid& event) {
  if (!valid_rw(event.rw_code)) return fail(bad_rw("rw_code", event.rw_code));
  if (event.amount_rupiah <= 0 || event.amount_rupiah > kMaxClaimRupiah)
    return fail(Error::invalid({{"amount_rupiah", "must be positive and at most Rp10,000,000,000"}}));
  return std::vector<CounterOp>{{Kind::kIncrement, event.rw_code, "claims_paid", 1},
                                {Kind::kIncrement, event.rw_code, "claims_paid_rupiah", event.amount_rupiah}};
}

Result<std::vector<CounterOp>> plan(const SponsorshipChanged& event) {
  if (!valid_rw(event.rw_code)) return fail(bad_rw("rw_code", event.rw_code));
  const auto& from_rw = event.previous_rw_code.empty() ? event.rw_code : event.previous_rw_code;
  if (!valid_rw(from_rw)) return fail(bad_rw("previous_rw_code", from_rw));
  std::vector<CounterOp> ops;
  if (event.sponsored_before) ops.push_back({Kind::kIncrement, from_rw, "sponsored", -1});
  if (event.sponsored_after) ops.push_back({Kind::kIncrement, event.rw_code, "sponsored", 1});
  return ops;
}

Result<AreaSummary> AreaIndex::describe(const std::string& code, const std::string& field) const {
  AreaSummary out;
  out.code = code;
  if (const auto* branch = branches_.find(code)) {
    out.name = branch->name;
    out.level = AreaLevel::kBranch;
    return out;
  }
  const auto* area = registry_.find(code);
  if (area == nullptr) {
    return fail(Error::invalid(
        {{field,
          "must be a known area: a Kemendagri code (31, 31.75, 31.75.06, 31.75.06.1005) or a branch code"}}));
  }
  out.name = area->name;
  switch (area->level) {
    case areas::Level::kProvince:
      out.level = AreaLevel::kProvince;
      break;
    case areas::Level::kKota:
      out.level = AreaLevel::kKota;
      break;
    case areas::Level::kKecamatan:
      out.level = AreaLevel::kKecamatan;
      break;
    case areas::Level::kKelurahan:
      out.level = AreaLevel::kKelurahan;
      break;
  }
  return out;
}

std::vector<std::string> AreaIndex::kelurahans_under(const AreaSummary& area) const {
  std::vector<std::string> pending;
  if (area.level == AreaLevel::kBranch) {
    pending = branches_.kecamatan_of(area.code);
  } else {
    pending.push_back(area.code);
  }
  std::vector<std::string> out;
  while (!pending.empty()) {
    const auto code = std::move(pending.back());
    pending.pop_back();
    const auto* found = registry_.find(code);
    if (found == nullptr) continue;
    if (found->level == areas::Level::kKelurahan) {
      out.push_back(code);
      continue;
    }
    for (const auto* child : registry_.children(code)) pending.push_back(child->code);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool AreaIndex::contains(const AreaSummary& area, std::string_view rw_code) const {
  if (area.level == AreaLevel::kBranch) {
    const auto* branch = branches_.branch_of(rw_code);
    return branch != nullptr && branch->code == area.code;
  }
  return rw_code.size() > area.code.size() && rw_code.starts_with(area.code) &&
         rw_code[area.code.size()] == '.';
}

std::string AreaIndex::child_of(const AreaSummary& area, std::string_view rw_code) const {
  // Kemendagri codes nest by prefix: kota 31.75, kecamatan 31.75.06, kelurahan 31.75.06.1005.
  switch (area.level) {
    case AreaLevel::kProvince:
      return std::string(rw_code.substr(0, 5));
    case AreaLevel::kKota:
      return std::string(rw_code.substr(0, 8));
    case AreaLevel::kKecamatan:
      return std::string(rw_code.substr(0, 13));
    case AreaLevel::kBranch:
      return std::string(rw_code.substr(0, 8));
    case AreaLevel::kKelurahan:
      return "";
  }
  return "";
}

AreaCoverage AreaIndex::roll_up(const AreaSummary& area, const std::vector<RwCoverage>& rws) const {
  AreaCoverage out;
  out.summary = area;
  out.summary.totals = {};
  out.summary.rw_count = out.summary.rws_at_target = 0;
  out.summary.target = 0;
  std::map<std::string, AreaSummary> children;
  for (const auto& rw : rws) {
    if (!contains(area, rw.rw_code)) continue;
    out.summary.add(rw);
    if (area.level == AreaLevel::kKelurahan) {
      out.rws.push_back(rw);
      continue;
    }
    const auto code = child_of(area, rw.rw_code);
    auto [it, fresh] = children.try_emplace(code);
    if (fresh) {
      if (auto described = describe(code)) it->second = std::move(*described);
      it->second.code = code;
    }
    it->second.add(rw);
  }
  for (auto& [_, child] : children) out.children.push_back(std::move(child));
  std::sort(out.rws.begin(), out.rws.end(),
            [](const auto& a, const auto& b) { return a.rw_code < b.rw_code; });
  return out;
}

std::vector<RwCoverage> ranked(std::vector<RwCoverage> rws) {
  std::erase_if(rws, [](const RwCoverage& rw) { return !rw.active; });
  // Cross-multiplied so that no floating point decides an order.
  std::sort(rws.begin(), rws.end(), [](const RwCoverage& a, const RwCoverage& b) {
    const auto pa = a.counters.active * b.target, pb = b.counters.active * a.target;
    if (pa != pb) return pa > pb;
    const auto ra = a.counters.registered * b.target, rb = b.counters.registered * a.target;
    if (ra != rb) return ra > rb;
    return a.rw_code < b.rw_code;
  });
  return rws;
}

Result<RwCoverage> Queries::rw(const std::string& rw_code) {
  if (!valid_rw(rw_code)) {
    return fail(Error::invalid({{"rw_code", "must be an RW code like 31.75.06.1005.002"}}));
  }
  auto found = reader_.rw(rw_code);
  if (!found) return fail(found.error());
  if (!*found) return fail(Error::not_found(fmt::format("RW {} has no coverage yet", rw_code)));
  return **found;
}

Result<KelurahanCoverage> Queries::kelurahan(const std::string& kelurahan_code) {
  const auto* area = areas_.registry().find(kelurahan_code);
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

Result<std::vector<RwCoverage>> Queries::rws_under(const AreaSummary& area) {
  auto known = reader_.kelurahans();
  if (!known) return fail(known.error());
  const auto wanted = areas_.kelurahans_under(area);
  std::vector<std::string> both;
  std::set_intersection(wanted.begin(), wanted.end(), known->begin(), known->end(), std::back_inserter(both));
  return reader_.rws_of_kelurahans(both);
}

Result<std::vector<RwCoverage>> Queries::rws_under(const std::string& area_code) {
  auto area = areas_.describe(area_code);
  if (!area) return fail(area.error());
  return rws_under(*area);
}

Result<AreaCoverage> Queries::area(const std::string& area_code) {
  auto area = areas_.describe(area_code);
  if (!area) return fail(area.error());
  auto rws = rws_under(*area);
  if (!rws) return fail(rws.error());
  return areas_.roll_up(*area, *rws);
}

Result<std::vector<AreaSummary>> Queries::branches() {
  auto known = reader_.kelurahans();
  if (!known) return fail(known.error());
  auto rws = reader_.rws_of_kelurahans(*known);
  if (!rws) return fail(rws.error());
  std::vector<AreaSummary> out;
  for (const auto& branch : areas_.branches().branches()) {
    auto area = areas_.describe(branch.code);
    if (!area) continue;
    out.push_back(areas_.roll_up(*area, *rws).summary);
  }
  return out;
}

}  // namespace jaring::coverage
