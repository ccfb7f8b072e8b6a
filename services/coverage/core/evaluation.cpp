#include "evaluation.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>

#include <fmt/format.h>

#include "jaring/common/period.hpp"

namespace jaring::coverage {

Result<void> check_period(const std::string& period, const std::string& field) {
  static const std::regex kForm(R"((\d{4})-(Q[1-4]|S[12]|(\d{2})-(\d{2})))");
  std::smatch m;
  // At most "2025-03-31": a longer text is refused before the regex walks it.
  if (period.size() > 10 || !std::regex_match(period, m, kForm)) {
    return fail(Error::invalid(
        {{field, "must be a quarter (2025-Q1), a semester (2025-S1) or a date (2025-03-31)"}}));
  }
  if (m[3].matched) {
    using namespace std::chrono;
    const year_month_day day{year{std::stoi(m[1])}, month{static_cast<unsigned>(std::stoi(m[3]))},
                             std::chrono::day{static_cast<unsigned>(std::stoi(m[4]))}};
    if (!day.ok()) return fail(Error::invalid({{field, "is not a real date"}}));
  }
  return {};
}

Report compare(const AreaIndex& areas, const AreaSummary& area, const Snapshot& from,
               const std::vector<RwCoverage>& from_rws, const Snapshot& to,
               const std::vector<RwCoverage>& to_rws) {
  Report out;
  out.from = from;
  out.to = to;
  const auto before = areas.roll_up(area, from_rws);
  const auto after = areas.roll_up(area, to_rws);
  out.total = {before.summary, after.summary};
  // Children (or RWs) present in either snapshot: an RW created in between starts from zero.
  std::map<std::string, ReportRow> rows;
  const auto blank = [](const AreaSummary& like) {
    AreaSummary s;
    s.code = like.code;
    s.name = like.name;
    s.level = like.level;
    return s;
  };
  const auto rw_summary = [](const RwCoverage& rw) {
    AreaSummary s;
    s.code = rw.rw_code;
    s.name = "RW " + rw.rw_code.substr(rw.rw_code.size() - 3);
    s.level = AreaLevel::kKelurahan;
    s.add(rw);
    return s;
  };
  for (const auto& c : before.children) rows[c.code].from = c;
  for (const auto& c : after.children) rows[c.code].to = c;
  for (const auto& rw : before.rws) rows[rw.rw_code].from = rw_summary(rw);
  for (const auto& rw : after.rws) rows[rw.rw_code].to = rw_summary(rw);
  for (auto& [code, row] : rows) {
    if (row.from.code.empty()) row.from = blank(row.to);
    if (row.to.code.empty()) row.to = blank(row.from);
    out.rows.push_back(std::move(row));
  }
  return out;
}

Result<Snapshot> Evaluation::snapshot(const std::string& period, std::string as_of, const std::string& kind) {
  if (auto ok = check_period(period); !ok) return fail(ok.error());
  if (as_of.empty()) as_of = date_text(jakarta_today(clock_));
  if (auto ok = check_period(as_of, "as_of"); !ok || as_of.size() != 10) {
    return fail(Error::invalid({{"as_of", "must be a date like 2025-03-31"}}));
  }
  auto rws = queries_.rws_under("31");
  if (!rws) return fail(rws.error());
  Snapshot s;
  s.period = period;
  s.as_of = std::move(as_of);
  s.taken_at = format_utc(clock_.now());
  s.rw_count = static_cast<std::int64_t>(rws->size());
  s.kind = kind;
  return store_.save(std::move(s), *rws);
}

Result<std::pair<Snapshot, std::vector<RwCoverage>>> Evaluation::load(std::int64_t id,
                                                                      const std::string& field) {
  if (id == 0) {
    auto rws = queries_.rws_under("31");
    if (!rws) return fail(rws.error());
    Snapshot now;
    now.period = "now";
    now.as_of = date_text(jakarta_today(clock_));
    now.taken_at = format_utc(clock_.now());
    now.rw_count = static_cast<std::int64_t>(rws->size());
    now.kind = "live";
    return std::pair{now, std::move(*rws)};
  }
  auto found = store_.find(id);
  if (!found) return fail(found.error());
  if (!*found) return fail(Error::invalid({{field, fmt::format("there is no snapshot {}", id)}}));
  auto rows = store_.rows(id);
  if (!rows) return fail(rows.error());
  return std::pair{**found, std::move(*rows)};
}

Result<Report> Evaluation::report(const std::string& area_code, std::int64_t from_id, std::int64_t to_id) {
  auto area = queries_.areas().describe(area_code);
  if (!area) return fail(area.error());
  if (from_id <= 0) return fail(Error::invalid({{"from_snapshot_id", "must name a snapshot"}}));
  auto from = load(from_id, "from_snapshot_id");
  if (!from) return fail(from.error());
  auto to = load(to_id, "to_snapshot_id");
  if (!to) return fail(to.error());
  return compare(queries_.areas(), *area, from->first, from->second, to->first, to->second);
}

Result<std::vector<TrendPoint>> Evaluation::trend(const std::string& area_code) {
  auto area = queries_.areas().describe(area_code);
  if (!area) return fail(area.error());
  auto snapshots = store_.list(true);
  if (!snapshots) return fail(snapshots.error());
  std::vector<TrendPoint> out;
  for (const auto& s : *snapshots) {
    auto rows = store_.rows(s.id);
    if (!rows) return fail(rows.error());
    out.push_back({s, queries_.areas().roll_up(*area, *rows).summary});
  }
  auto now = load(0, "");
  if (!now) return fail(now.error());
  out.push_back({now->first, queries_.areas().roll_up(*area, now->second).summary});
  return out;
}

std::vector<EndedPeriod> ended_periods(Date today) {
  const auto current = Period::of(today);
  const int year = current.year();
  const int month = current.month();
  const auto ended = [](Period first_of_next, std::string label) {
    return EndedPeriod{std::move(label),
                       Date(std::chrono::sys_days(first_of_next.first_day()) - std::chrono::days(1))};
  };
  const int quarter = (month - 1) / 3;  // 0..3, the current one
  const int semester = (month - 1) / 6;
  const auto quarter_start = Period::of(year, quarter * 3 + 1);
  const auto semester_start = Period::of(year, semester * 6 + 1);
  return {ended(quarter_start,
                quarter == 0 ? fmt::format("{}-Q4", year - 1) : fmt::format("{}-Q{}", year, quarter)),
          ended(semester_start,
                semester == 0 ? fmt::format("{}-S2", year - 1) : fmt::format("{}-S{}", year, semester))};
}

Result<std::vector<Snapshot>> Evaluation::take_due_snapshots(int grace_days) {
  const auto today = jakarta_today(clock_);
  auto existing = store_.list(false);
  if (!existing) return fail(existing.error());
  std::vector<Snapshot> taken;
  for (const auto& period : ended_periods(today)) {
    if (std::chrono::sys_days(today) - std::chrono::sys_days(period.last_day) > std::chrono::days(grace_days))
      continue;
    const bool done = std::any_of(existing->begin(), existing->end(),
                                  [&](const Snapshot& s) { return s.period == period.label; });
    if (done) continue;
    if (claims_ != nullptr) {
      auto mine = claims_->claim("evaluation/" + period.label);
      if (!mine) return fail(mine.error());
      if (!*mine) continue;  // another replica takes it
    }
    auto snapshot = this->snapshot(period.label, "");
    if (!snapshot) return fail(snapshot.error());
    taken.push_back(std::move(*snapshot));
  }
  return taken;
}

Result<std::optional<Snapshot>> Evaluation::record_trend() {
  const auto today = date_text(jakarta_today(clock_));
  // One point a day: a restart, a tick faster than a day (a test clock's) or another replica may
  // find today's point there.
  auto existing = store_.list(true);
  if (!existing) return fail(existing.error());
  if (std::any_of(existing->begin(), existing->end(),
                  [&](const Snapshot& s) { return s.kind == "trend" && s.period == today; }))
    return std::optional<Snapshot>{};
  if (claims_ != nullptr) {
    // Replicas tick at their own times, and a claim outlives no day.
    auto mine = claims_->claim("trend/" + today);
    if (!mine) return fail(mine.error());
    if (!*mine) return std::optional<Snapshot>{};
  }
  auto taken = snapshot(today, "", "trend");
  if (!taken) return fail(taken.error());
  return std::optional<Snapshot>{std::move(*taken)};
}

}  // namespace jaring::coverage
