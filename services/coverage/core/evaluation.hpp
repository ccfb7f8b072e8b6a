#pragma once
// Monitoring and evaluation: snapshots freeze every RW's counters at a date (a quarter for the
// kecamatan evaluations, a semester for the city's), and a report compares two of them for an
// area, child area by child area. Trend snapshots are the same thing taken on a schedule.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coverage.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/common/period.hpp"

namespace jaring::coverage {

struct Snapshot {
  std::int64_t id = 0;     // 0: the live counters (a report "to now")
  std::string period{};    // 2025-Q1, 2025-S1 or a date
  std::string as_of{};     // YYYY-MM-DD, Asia/Jakarta
  std::string taken_at{};  // RFC 3339 UTC
  std::int64_t rw_count = 0;
  std::string kind = "evaluation";  // evaluation | trend
};

// Where snapshots are kept (SQLite: Redis is only a cache of the counters).
class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;
  // Stores the snapshot and its rows in one transaction; returns it with its id.
  virtual Result<Snapshot> save(Snapshot snapshot, const std::vector<RwCoverage>& rws) = 0;
  virtual Result<std::vector<Snapshot>> list(bool include_trend) = 0;
  virtual Result<std::optional<Snapshot>> find(std::int64_t id) = 0;
  virtual Result<std::vector<RwCoverage>> rows(std::int64_t id) = 0;
};

// Which replica takes a scheduled snapshot when several keep the calendar: the first to claim
// its key. A store keyed by the same label makes a double take (a claim that expired before the
// snapshot was seen) harmless. Without claims (one replica) every take is this replica's.
class SnapshotClaims {
 public:
  virtual ~SnapshotClaims() = default;
  // True when this replica won `key` (e.g. "evaluation/2026-Q4", "trend/2026-12-01").
  virtual Result<bool> claim(const std::string& key) = 0;
};

struct ReportRow {
  AreaSummary from;
  AreaSummary to;
};

struct Report {
  Snapshot from;
  Snapshot to;
  ReportRow total;
  std::vector<ReportRow> rows;  // per child area, or per RW of a kelurahan; sorted by code
};

struct TrendPoint {
  Snapshot snapshot;
  AreaSummary summary;
};

// The quarter and the semester that ended last before `today` (labels and last days).
struct EndedPeriod {
  std::string label{};
  Date last_day{};
};
std::vector<EndedPeriod> ended_periods(Date today);

// INVALID_ARGUMENT on `field` unless `period` is YYYY-Qn, YYYY-Sn or YYYY-MM-DD.
Result<void> check_period(const std::string& period, const std::string& field = "period");
// The report of `area` from one set of RW rows to another.
Report compare(const AreaIndex& areas, const AreaSummary& area, const Snapshot& from,
               const std::vector<RwCoverage>& from_rws, const Snapshot& to,
               const std::vector<RwCoverage>& to_rws);

class Evaluation {
 public:
  // `claims` may be null: one replica takes every scheduled snapshot itself.
  Evaluation(Queries& queries, SnapshotStore& store, const Clock& clock, SnapshotClaims* claims = nullptr)
      : queries_(queries), store_(store), clock_(clock), claims_(claims) {}

  // Freezes the live counters of every RW. `as_of` defaults to today.
  Result<Snapshot> snapshot(const std::string& period, std::string as_of,
                            const std::string& kind = "evaluation");
  Result<std::vector<Snapshot>> list(bool include_trend) { return store_.list(include_trend); }
  // `to_id` 0 compares with the live counters.
  Result<Report> report(const std::string& area_code, std::int64_t from_id, std::int64_t to_id);
  // The area in every snapshot, oldest first, then now.
  Result<std::vector<TrendPoint>> trend(const std::string& area_code);
  // One point of the dashboard's trend line: a "trend" snapshot labelled with today's date
  // (main runs it every trend interval), once a day: later ticks of the same day get nullopt.
  // With claims, one replica takes a day's point: the others get nullopt.
  Result<std::optional<Snapshot>> record_trend();
  // The M&E calendar: once a quarter (YYYY-Qn, the kecamatan evaluations) or a semester (YYYY-Sn,
  // the city's) has ended, freezes the counters under its label, once, as of the day it runs.
  // Within `grace` days of the end only (a stack started long after a period ended, or down for
  // longer, does not pass today's counters off as that period's). With claims, only the replica
  // that claims the label takes it. Returns the snapshots this replica took.
  Result<std::vector<Snapshot>> take_due_snapshots(int grace_days = 31);

 private:
  Result<std::pair<Snapshot, std::vector<RwCoverage>>> load(std::int64_t id, const std::string& field);
  Queries& queries_;
  SnapshotStore& store_;
  const Clock& clock_;
  SnapshotClaims* claims_;
};

}  // namespace jaring::coverage
