#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/change_feed.hpp"
#include "core/evaluation.hpp"
#include "core/recount.hpp"

namespace jaring::coverage {
namespace {

using namespace std::chrono_literals;

const AreaIndex& index() {
  static const AreaIndex areas(areas::Registry::jakarta(), areas::BranchMap::jakarta());
  return areas;
}

RwCoverage rw(const std::string& code, Counters counters) {
  return {code, code.substr(0, 13), 100, true, counters};
}

TEST(Periods, QuartersSemestersAndRealDates) {
  EXPECT_TRUE(check_period("2025-Q1"));
  EXPECT_TRUE(check_period("2025-S2"));
  EXPECT_TRUE(check_period("2025-03-31"));
  EXPECT_FALSE(check_period("2025-Q5"));
  EXPECT_FALSE(check_period("2025-02-30"));
  EXPECT_EQ(check_period("Q1").error().violations.at(0).field, "period");
}

TEST(Periods, TodayIsTakenInJakarta) {
  // 2025-03-31 18:30 UTC is already 1 April in Jakarta.
  const auto at = std::chrono::sys_days{std::chrono::year{2025} / 3 / 31} + 18h + 30min;
  EXPECT_EQ(jakarta_date(at), "2025-04-01");
}

TEST(Compare, ChangesPerChildAreaWithNewRwsStartingFromZero) {
  const auto kecamatan = *index().describe("31.75.06");
  std::vector<RwCoverage> q1{rw("31.75.06.1005.001", {.registered = 10, .registrations = 10})};
  std::vector<RwCoverage> q2{rw("31.75.06.1005.001", {.registered = 8, .active = 5, .registrations = 12}),
                             rw("31.75.06.1001.001", {.registered = 3, .registrations = 3})};
  const auto report =
      compare(index(), kecamatan, {.id = 1, .period = "2025-Q1"}, q1, {.id = 2, .period = "2025-Q2"}, q2);
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_EQ(report.rows[0].to.code, "31.75.06.1001");
  EXPECT_EQ(report.rows[0].from.totals.registrations, 0);
  EXPECT_EQ(report.rows[0].to.totals.registrations, 3);
  EXPECT_EQ(report.rows[1].to.totals.registrations - report.rows[1].from.totals.registrations, 2);
  EXPECT_EQ(report.total.to.totals.registered - report.total.from.totals.registered, 1);
}

class MemorySnapshots final : public SnapshotStore {
 public:
  Result<Snapshot> save(Snapshot s, const std::vector<RwCoverage>& rws) override {
    s.id = static_cast<std::int64_t>(saved.size()) + 1;
    saved.push_back({s, rws});
    return s;
  }
  Result<std::vector<Snapshot>> list(bool) override {
    std::vector<Snapshot> out;
    out.reserve(saved.size());
    for (const auto& [s, _] : saved) out.push_back(s);
    return out;
  }
  Result<std::optional<Snapshot>> find(std::int64_t id) override {
    if (id < 1 || id > static_cast<std::int64_t>(saved.size())) return std::optional<Snapshot>{};
    return std::optional<Snapshot>{saved[static_cast<std::size_t>(id - 1)].first};
  }
  Result<std::vector<RwCoverage>> rows(std::int64_t id) override {
    return saved[static_cast<std::size_t>(id - 1)].second;
  }
  std::vector<std::pair<Snapshot, std::vector<RwCoverage>>> saved;
};

class OneRwReader final : public CounterReader {
 public:
  Result<std::optional<RwCoverage>> rw(const std::string&) override {
    return std::optional<RwCoverage>{value};
  }
  Result<std::vector<RwCoverage>> rws_of_kelurahan(const std::string&) override { return std::vector{value}; }
  Result<std::vector<RwCoverage>> rws_of_kelurahans(const std::vector<std::string>&) override {
    return std::vector{value};
  }
  Result<std::vector<std::string>> kelurahans() override {
    return std::vector<std::string>{value.kelurahan_code};
  }
  RwCoverage value = coverage::rw("31.75.06.1005.001", {.registered = 4, .registrations = 4});
};

TEST(Evaluation, SnapshotsFreezeTheCountersAndReportsCompareThemOrNow) {
  OneRwReader reader;
  MemorySnapshots store;
  FixedClock clock(std::chrono::sys_days{std::chrono::year{2025} / 3 / 31} + 10h);
  Queries queries(reader, index());
  Evaluation evaluation(queries, store, clock);
  auto q1 = evaluation.snapshot("2025-Q1", "");
  ASSERT_TRUE(q1) << q1.error().message;
  EXPECT_EQ(q1->as_of, "2025-03-31");
  EXPECT_EQ(q1->rw_count, 1);
  reader.value.counters.registered = 9;
  reader.value.counters.registrations = 10;
  auto report = evaluation.report("31.75.06", q1->id, 0);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->total.to.totals.registrations - report->total.from.totals.registrations, 6);
  EXPECT_EQ(evaluation.report("31.75.06", 7, 0).error().violations.at(0).field, "from_snapshot_id");
  EXPECT_EQ(evaluation.snapshot("Q1", "").error().violations.at(0).field, "period");
  auto trend = evaluation.trend("31");
  ASSERT_TRUE(trend);
  ASSERT_EQ(trend->size(), 2u);
  EXPECT_EQ((*trend)[0].summary.totals.registered, 4);
  EXPECT_EQ((*trend)[1].summary.totals.registered, 9);
}

// CreateSnapshot, coverage's one write, in the bad-input table of issue #14: every bad period or
// date is refused naming its field, and nothing is saved.
TEST(Evaluation, ABadSnapshotRequestNamesItsFieldAndSavesNothing) {
  OneRwReader reader;
  MemorySnapshots store;
  FixedClock clock(std::chrono::sys_days{std::chrono::year{2025} / 3 / 31} + 10h);
  Queries queries(reader, index());
  Evaluation evaluation(queries, store, clock);
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> cases = {
      {"too long", std::string(std::size_t{3} * 1024 * 1024, '9'), "", "period"},
      {"control characters", "2025-Q1\x1b[2J", "", "period"},
      {"missing", "", "", "period"},
      {"unknown period", "2025-Q5", "", "period"},
      {"not a real date", "2025-02-30", "", "period"},
      {"negative year", "-025-Q1", "", "period"},
      {"overflowing day", "2025-03-99999999999", "", "period"},
      {"as_of too long", "2025-Q1", std::string(100'000, '1'), "as_of"},
      {"as_of not a date", "2025-Q1", "2025-Q1", "as_of"},
      {"as_of with NUL", "2025-Q1", std::string("2025-03-31\0x", 12), "as_of"},
  };
  for (const auto& [name, period, as_of, field] : cases) {
    SCOPED_TRACE(name);
    const auto refused = evaluation.snapshot(period, as_of);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    ASSERT_EQ(refused.error().violations.size(), 1u);
    EXPECT_EQ(refused.error().violations[0].field, field);
  }
  EXPECT_TRUE(store.saved.empty());
}

TEST(Calendar, TheLastEndedQuarterAndSemester) {
  using std::chrono::year;
  const auto labels = [](Date today) {
    std::vector<std::string> out;
    for (const auto& p : ended_periods(today)) out.push_back(p.label + " " + date_text(p.last_day));
    return out;
  };
  EXPECT_EQ(labels(year{2027} / 1 / 1),
            (std::vector<std::string>{"2026-Q4 2026-12-31", "2026-S2 2026-12-31"}));
  EXPECT_EQ(labels(year{2026} / 7 / 1),
            (std::vector<std::string>{"2026-Q2 2026-06-30", "2026-S1 2026-06-30"}));
  EXPECT_EQ(labels(year{2026} / 11 / 30),
            (std::vector<std::string>{"2026-Q3 2026-09-30", "2026-S1 2026-06-30"}));
}

TEST(Calendar, EachPeriodIsSnapshottedOnceWhenItEndsAndNotLongAfter) {
  OneRwReader reader;
  MemorySnapshots store;
  // 31 December 2026, 23:00 in Jakarta: Q4 has not ended.
  FixedClock clock(jakarta_midnight(std::chrono::year{2026} / 12 / 31) + 23h);
  Queries queries(reader, index());
  Evaluation evaluation(queries, store, clock);
  store.saved.clear();
  // A fresh start long after S1 and Q3 ended takes neither.
  ASSERT_TRUE(evaluation.take_due_snapshots());
  EXPECT_TRUE(store.saved.empty());

  clock.set(jakarta_midnight(std::chrono::year{2027} / 1 / 1) + 5min);
  auto taken = evaluation.take_due_snapshots();
  ASSERT_TRUE(taken) << taken.error().message;
  ASSERT_EQ(taken->size(), 2u);
  EXPECT_EQ((*taken)[0].period, "2026-Q4");
  EXPECT_EQ((*taken)[1].period, "2026-S2");
  EXPECT_EQ((*taken)[0].as_of, "2027-01-01");
  EXPECT_EQ((*taken)[0].kind, "evaluation");

  clock.set(jakarta_midnight(std::chrono::year{2027} / 1 / 20));
  EXPECT_TRUE(evaluation.take_due_snapshots()->empty());
  EXPECT_EQ(store.saved.size(), 2u);
  // Down from 25 March to 3 April: Q1 is caught up once; no semester ended.
  clock.set(jakarta_midnight(std::chrono::year{2027} / 4 / 3));
  taken = evaluation.take_due_snapshots();
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ((*taken)[0].period, "2027-Q1");
  EXPECT_TRUE(evaluation.take_due_snapshots()->empty());
}

// Claims as Redis SET NX keeps them: the first to ask wins a key, everyone else loses it.
class FirstClaimWins final : public SnapshotClaims {
 public:
  Result<bool> claim(const std::string& key) override { return claimed.insert(key).second; }
  std::set<std::string> claimed;
};

TEST(Calendar, TwoReplicasSharingClaimsTakeEachPeriodAndEachDaysTrendOnce) {
  OneRwReader reader;
  // Each replica's read model of the shared record; the second does not see the first's
  // snapshot yet (it is still on its way), so only the claim keeps it from a second take.
  MemorySnapshots first_store, second_store;
  FixedClock clock(jakarta_midnight(std::chrono::year{2027} / 1 / 1) + 5min);
  Queries queries(reader, index());
  FirstClaimWins claims;
  Evaluation first(queries, first_store, clock, &claims);
  Evaluation second(queries, second_store, clock, &claims);
  auto taken = first.take_due_snapshots();
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_EQ(taken->size(), 2u);
  taken = second.take_due_snapshots();
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_TRUE(taken->empty());
  EXPECT_TRUE(second_store.saved.empty());
  EXPECT_EQ(claims.claimed, (std::set<std::string>{"evaluation/2026-Q4", "evaluation/2026-S2"}));

  auto point = second.record_trend();
  ASSERT_TRUE(point && *point);
  EXPECT_EQ((*point)->period, "2027-01-01");
  point = first.record_trend();
  ASSERT_TRUE(point);
  EXPECT_FALSE(*point);
  EXPECT_EQ(second_store.saved.size(), 1u);
  // The claim is gone (expired) by the second's next tick the same day: its read model has the point.
  claims.claimed.clear();
  point = second.record_trend();
  ASSERT_TRUE(point);
  EXPECT_FALSE(*point);
  EXPECT_EQ(second_store.saved.size(), 1u);
}

TEST(Calendar, OneReplicaTakesOneTrendPointADayHoweverOftenItTicks) {
  // A test clock's trend task ticks every second: a point a day, not a point a tick.
  OneRwReader reader;
  MemorySnapshots store;
  FixedClock clock(jakarta_midnight(std::chrono::year{2027} / 1 / 1) + 5min);
  Queries queries(reader, index());
  Evaluation evaluation(queries, store, clock);
  auto point = evaluation.record_trend();
  ASSERT_TRUE(point && *point);
  EXPECT_EQ((*point)->period, "2027-01-01");
  point = evaluation.record_trend();
  ASSERT_TRUE(point);
  EXPECT_FALSE(*point);
  clock.set(jakarta_midnight(std::chrono::year{2027} / 2 / 1) + 5min);
  point = evaluation.record_trend();
  ASSERT_TRUE(point && *point);
  EXPECT_EQ((*point)->period, "2027-02-01");
  EXPECT_EQ(store.saved.size(), 2u);
}

TEST(ChangeFeed, SubscribersGetTheirAreasChangesCoalesced) {
  ChangeFeed feed;
  auto cakung = feed.subscribe([](const std::string& rw) { return rw.starts_with("31.75.06."); });
  auto elsewhere = feed.subscribe([](const std::string& rw) { return rw.starts_with("31.71."); });
  feed.publish({"31.75.06.1005.001"});
  feed.publish({"31.75.06.1005.001", "31.75.06.1005.002", "31.73.01.1001.001"});
  EXPECT_EQ(cakung->wait(1s), (std::set<std::string>{"31.75.06.1005.001", "31.75.06.1005.002"}));
  EXPECT_TRUE(elsewhere->wait(1ms).empty());
  feed.close();
  EXPECT_TRUE(cakung->wait(10s).empty());  // returns at once once closed
  EXPECT_TRUE(cakung->closed());
}

TEST(ChangeFeed, AnythingReachesEverySubscriberWhateverItsArea) {
  ChangeFeed feed;
  auto east = feed.subscribe([](const std::string& rw) { return rw.starts_with("31.75"); });
  auto south = feed.subscribe([](const std::string& rw) { return rw.starts_with("31.74"); });
  feed.publish({"31.75.06.1005.002"});
  feed.publish_anything();
  EXPECT_EQ(east->wait(0ms),
            (std::set<std::string>{"31.75.06.1005.002", std::string(ChangeFeed::kAnything)}));
  EXPECT_EQ(south->wait(0ms), (std::set<std::string>{std::string(ChangeFeed::kAnything)}));
}

TEST(ChangeFeed, ChangesSoonAfterAnAnswerGatherIntoOneAnswerOnceTheIntervalHasPassed) {
  ChangeFeed feed(300ms);
  auto all = feed.subscribe([](const std::string&) { return true; });
  feed.publish({"31.75.06.1005.001"});
  EXPECT_EQ(all->wait(10s), (std::set<std::string>{"31.75.06.1005.001"}));  // the first: at once
  const auto answered = std::chrono::steady_clock::now();
  feed.publish({"31.75.06.1005.002"});
  std::thread later([&feed] {
    std::this_thread::sleep_for(100ms);
    feed.publish({"31.75.06.1005.003"});
  });
  EXPECT_EQ(all->wait(10s), (std::set<std::string>{"31.75.06.1005.002", "31.75.06.1005.003"}));
  EXPECT_GE(std::chrono::steady_clock::now() - answered, 300ms);
  later.join();
  // Closing ends a wait that gathers.
  feed.publish({"31.75.06.1005.004"});
  std::thread closing([&feed] { feed.close(); });
  all->wait(10s);
  closing.join();
  EXPECT_TRUE(all->closed());
}

class FakeRegistration final : public RegistrationSource {
 public:
  Result<std::vector<RegisteredRw>> rws() override {
    return std::vector<RegisteredRw>{{"31.75.06.1005.001", "31.75.06.1005", 100, true},
                                     {"31.75.06.1005.002", "31.75.06.1005", 80, true}};
  }
  Result<void> participants(const std::function<void(const ParticipantRow&)>& row) override {
    row({"31.75.06.1005.001", true});
    row({"31.75.06.1005.001", false});
    row({"31.75.06.1005.002", true});
    return {};
  }
};

// Another owner's export as a list.
class FakeFacts final : public FactSource {
 public:
  explicit FakeFacts(std::vector<OwnerFact> facts, bool refuse = false)
      : facts_(std::move(facts)), refuse_(refuse) {}
  Result<void> facts(const std::function<void(const OwnerFact&)>& fact) override {
    if (refuse_) return fail(Error::unavailable("3 stored events are not published yet"));
    for (const auto& f : facts_) fact(f);
    return {};
  }

 private:
  std::vector<OwnerFact> facts_;
  bool refuse_ = false;
};

TEST(Recount, EveryCounterFromItsOwnersExport) {
  FakeRegistration registration;
  FakeFacts contribution({{"31.75.06.1005.001", "active"},
                          {"31.75.06.1005.001", "arrears"},
                          {"31.75.06.1005.002", "lapsed"},
                          {"31.75.06.1005.002", "closed"},
                          {"31.75.06.1005.002", "active"}});
  FakeFacts sponsors(std::vector<OwnerFact>{{"31.75.06.1005.002", ""}});
  // A claim in an RW the registry does not list is counted anyway, as its event would be.
  FakeFacts claims({{"31.75.06.1005.001", "", 42'000'000}, {"31.75.06.1005.003", "", 12'000'000}});
  auto rws = recount({&registration, &contribution, &sponsors, &claims});
  ASSERT_TRUE(rws) << rws.error().message;
  ASSERT_EQ(rws->size(), 3u);
  EXPECT_EQ((*rws)[0].counters, (Counters{.registered = 1,
                                          .active = 1,
                                          .arrears = 1,
                                          .claims_paid = 1,
                                          .claims_paid_rupiah = 42'000'000,
                                          .registrations = 2}));
  EXPECT_EQ((*rws)[1].counters,
            (Counters{.registered = 1, .active = 1, .lapsed = 1, .sponsored = 1, .registrations = 1}));
  EXPECT_EQ((*rws)[1].target, 80);
  EXPECT_EQ((*rws)[2].rw_code, "31.75.06.1005.003");
  EXPECT_EQ((*rws)[2].kelurahan_code, "31.75.06.1005");
  EXPECT_EQ((*rws)[2].counters, (Counters{.claims_paid = 1, .claims_paid_rupiah = 12'000'000}));
}

TEST(Recount, AnOwnerThatCannotAnswerFailsTheWholeRecount) {
  FakeRegistration registration;
  FakeFacts contribution({}, true);
  auto rws = recount({&registration, &contribution, nullptr, nullptr});
  ASSERT_FALSE(rws);
  EXPECT_EQ(rws.error().code, ErrorCode::kUnavailable);
}

TEST(Recount, RupiahThatOverflowIsAnErrorNotAWrap) {
  FakeFacts claims(
      {{"31.75.06.1005.001", "", std::numeric_limits<std::int64_t>::max()}, {"31.75.06.1005.001", "", 1}});
  auto rws = recount({nullptr, nullptr, nullptr, &claims});
  ASSERT_FALSE(rws);
}

TEST(Recount, DriftCountsEveryCounterOfEveryRw) {
  FakeRegistration registration;
  FakeFacts contribution(std::vector<OwnerFact>{{"31.75.06.1005.001", "active"}});
  auto rws = recount({&registration, &contribution, nullptr, nullptr});
  ASSERT_TRUE(rws);
  EXPECT_EQ(drift(*rws, *rws).rws, 0);
  // Redis wiped and counting from scratch: one registration counted, nothing else.
  const auto d = drift(*rws, {rw("31.75.06.1005.001", {.registered = 1, .registrations = 1})});
  EXPECT_EQ(d.rws, 2);
  EXPECT_EQ(d.workers, 1 + 1 + 2);  // 001: one registration and the active; 002: registered, registrations
  EXPECT_EQ(d.by_rw.at("31.75.06.1005.001"), (Counters{.active = -1, .registrations = -1}));
}

// A registered worker who never paid is counted apart, never as active: the recount and the
// reconciler's drift see a Redis that counted them active as wrong.
TEST(Recount, NeverPaidWorkersAreAwaitingNotActiveAndDriftSeesTheDifference) {
  FakeRegistration registration;
  FakeFacts contribution(
      std::vector<OwnerFact>{{"31.75.06.1005.001", "awaiting"}, {"31.75.06.1005.001", "active"}});
  auto rws = recount({&registration, &contribution, nullptr, nullptr});
  ASSERT_TRUE(rws) << rws.error().message;
  EXPECT_EQ((*rws)[0].counters.awaiting, 1);
  EXPECT_EQ((*rws)[0].counters.active, 1);
  auto counted_active = *rws;
  counted_active[0].counters.awaiting = 0;
  counted_active[0].counters.active = 2;
  const auto d = drift(*rws, counted_active);
  EXPECT_EQ(d.rws, 1);
  EXPECT_EQ(d.by_rw.at("31.75.06.1005.001"), (Counters{.active = 1, .awaiting = -1}));
}

}  // namespace
}  // namespace jaring::coverage
