#include "jaring/audit/trail.hpp"

#include <gtest/gtest.h>

#include "jaring/events/v1/envelope.pb.h"
#include "jaring/store/outbox.hpp"

namespace jaring::audit {
namespace {

using namespace std::chrono_literals;

class TrailTest : public ::testing::Test {
 protected:
  TrailTest()
      : clock_(std::chrono::sys_days{std::chrono::year{2026} / 11 / 30} + 9h),
        db_(store::Database::open(":memory:", {store::outbox_migration(1),
                                               Trail::migration(2),
                                               {3, "CREATE TABLE things (id TEXT PRIMARY KEY)"},
                                               store::outbox_segments_migration(4)})),
        trail_(*db_, "registration", clock_) {}

  Record base(std::string subject = "siti") const {
    Record r;
    r.subject = std::move(subject);
    r.roles = "branch-officer";
    r.method = "/jaring.registration.v1.RegistrationService/Register";
    r.trace_id = "t_0123456789abcdef";
    return r;
  }

  // A change of the kind a store makes: a row and an outbox event keyed by the thing's id.
  Result<void> change(const std::string& id, bool succeed = true) {
    return db_->write([&](store::Transaction& tx) -> Result<void> {
      tx.prepare("INSERT INTO things (id) VALUES (?)").bind(1, id).run();
      store::outbox_append(tx, {0, "jaring.registration.v1", id, "payload"});
      if (!succeed) return fail(Error::invalid({{"id", "refused"}}));
      return {};
    });
  }

  std::int64_t count(const char* sql) {
    return db_->read([&](store::Database& d) {
      auto s = d.prepare(sql);
      s.step();
      return s.column_int(0);
    });
  }

  std::vector<events::v1::Envelope> audit_events() {
    std::vector<events::v1::Envelope> out;
    for (const auto& m : store::outbox_fetch_unsent(*db_, 1000)) {
      if (m.topic != kTopic) continue;
      events::v1::Envelope e;
      EXPECT_TRUE(e.ParseFromString(m.payload));
      out.push_back(e);
    }
    return out;
  }

  FixedClock clock_;
  std::unique_ptr<store::Database> db_;
  Trail trail_;
};

TEST_F(TrailTest, AChangeCarriesItsRecordInTheSameTransaction) {
  auto r = base();
  r.ids = {"p_request"};
  CallRecord call(&trail_, r);
  {
    store::ObserverScope scope(&call);
    ASSERT_TRUE(change("p_1"));
  }
  call.finish("OK", {"p_1"});  // already written with the change: nothing more
  const auto found = trail_.find({});
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].subject, "siti");
  EXPECT_EQ(found[0].result, "OK");
  EXPECT_EQ(found[0].ids, (std::vector<std::string>{"p_request", "p_1"}));
  EXPECT_EQ(found[0].trace_id, "t_0123456789abcdef");
  EXPECT_EQ(found[0].at, "2026-11-30T09:00:00.000Z");

  const auto events = audit_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type(), "AuditRecorded");
  EXPECT_EQ(events[0].audit_recorded().audit_id(), found[0].audit_id);
  EXPECT_EQ(events[0].audit_recorded().method(), r.method);
  EXPECT_EQ(events[0].audit_recorded().id_count(), 2);
}

TEST_F(TrailTest, ARolledBackChangeLeavesNoRecordOfItAndTheRefusalIsRecorded) {
  CallRecord call(&trail_, base());
  {
    store::ObserverScope scope(&call);
    EXPECT_FALSE(change("p_2", false));
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log"), 0);
  EXPECT_FALSE(call.written());
  call.finish("INVALID_ARGUMENT", {});
  const auto found = trail_.find({});
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].result, "INVALID_ARGUMENT");
  EXPECT_TRUE(found[0].ids.empty());  // p_2 was never written
}

TEST_F(TrailTest, EachTransactionOfACallHasItsOwnRecord) {
  CallRecord call(&trail_, base());
  {
    store::ObserverScope scope(&call);
    ASSERT_TRUE(change("p_a"));
    ASSERT_TRUE(change("p_b"));
  }
  const auto found = trail_.find({});
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0].ids, std::vector<std::string>{"p_a"});
  EXPECT_EQ(found[1].ids, std::vector<std::string>{"p_b"});
}

TEST_F(TrailTest, WritesOutsideACallAreNotRecorded) {
  ASSERT_TRUE(change("p_consumer"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log"), 0);
}

TEST_F(TrailTest, RecordsCannotBeChangedOrDeleted) {
  trail_.record(base());
  EXPECT_THROW(db_->exec("UPDATE audit_log SET subject = 'mallory'"), store::StoreError);
  EXPECT_THROW(db_->exec("DELETE FROM audit_log"), store::StoreError);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE subject = 'siti'"), 1);
}

TEST_F(TrailTest, FoundBySubjectIdAndTime) {
  auto a = base("siti");
  a.ids = {"p_1", "c_1"};
  trail_.record(a);
  clock_.set(clock_.now() + 1h);
  auto b = base("budi");
  b.ids = {"p_11"};
  trail_.record(b);
  EXPECT_EQ(trail_.find({.subject = "budi"}).size(), 1U);
  EXPECT_EQ(trail_.find({.id = "p_1"}).size(), 1U);  // p_11 is another id
  EXPECT_EQ(trail_.find({.id = "c_1"})[0].subject, "siti");
  EXPECT_EQ(trail_.find({.from = "2026-11-30T09:30:00Z"}).size(), 1U);
  EXPECT_EQ(trail_.find({.to = "2026-11-30T09:30:00Z"}).size(), 1U);
  EXPECT_EQ(trail_.find({.limit = 1}).size(), 1U);
  EXPECT_EQ(trail_.find({.trace_id = "t_0123456789abcdef"}).size(), 2U);
  EXPECT_TRUE(trail_.find({.trace_id = "t_ffffffffffffffff"}).empty());
}

TEST_F(TrailTest, ARangeOfTimeFindsExactlyItsRecordsAndTimesNeverGoBack) {
  for (int minute = 0; minute < 50; ++minute) {
    trail_.record(base(minute % 2 == 0 ? "siti" : "budi"));
    clock_.set(clock_.now() + 1min);
  }
  const auto in_range = trail_.find({.from = "2026-11-30T09:10:00.000Z", .to = "2026-11-30T09:20:00.000Z"});
  ASSERT_EQ(in_range.size(), 10U);
  EXPECT_EQ(in_range.front().at, "2026-11-30T09:10:00.000Z");
  EXPECT_EQ(in_range.back().at, "2026-11-30T09:19:00.000Z");
  EXPECT_EQ(
      trail_.find({.subject = "siti", .from = "2026-11-30T09:10:00.000Z", .to = "2026-11-30T09:20:00.000Z"})
          .size(),
      5U);
  EXPECT_TRUE(trail_.find({.from = "2026-11-30T10:00:00.000Z"}).empty());
  EXPECT_EQ(trail_.find({.to = "2026-11-30T09:00:00.001Z"}).size(), 1U);

  // A clock set back, even across a restart, stamps a record with the newest time, not before it.
  clock_.set(clock_.now() - 2h);
  Trail restarted(*db_, "registration", clock_);
  restarted.record(base("wati"));
  const auto last = restarted.find({.subject = "wati"});
  ASSERT_EQ(last.size(), 1U);
  EXPECT_EQ(last[0].at, "2026-11-30T09:49:00.000Z");
  EXPECT_EQ(restarted.find({.from = "2026-11-30T09:49:00.000Z"}).size(), 2U);
}

}  // namespace
}  // namespace jaring::audit
