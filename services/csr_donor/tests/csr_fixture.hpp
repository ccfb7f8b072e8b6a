#pragma once
// A csr-donor core on an in-memory SQLite store with a clock in March 2026 (Asia/Jakarta), a
// tariff table in memory and a registrar that refuses NIKs starting with "0" (fakes.hpp).

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "adapters/event_codec.hpp"
#include "adapters/sqlite_store.hpp"
#include "core/csr.hpp"
#include "fakes.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/store/outbox.hpp"
#include "staff.hpp"

namespace jaring::csr::testing {

inline TimePoint march_2026() { return std::chrono::sys_days(std::chrono::year(2026) / 3 / 15); }

class CsrFixture : public ::testing::Test {
 protected:
  CsrFixture()
      : clock_(march_2026()),
        db_(store::Database::open(":memory:", SqliteStore::migrations())),
        store_(*db_, clock_),
        core_(store_, tariffs_, registrar_, Settings{2}, clock_) {}

  static Participant worker(const std::string& id, const std::string& rw = "31.75.06.1005.002",
                            const std::string& category = "scavenger", const std::string& payer = "self") {
    return {id, rw, category, payer, "jkk+jkm", 1'000'000, true, ""};
  }
  void registered(const Participant& p) {
    ASSERT_TRUE(core_.projections().participant_registered("reg-" + p.id, p));
  }

  std::string sponsor(const std::string& name, const std::string& kind = "csr_company", Rupiah deposit = 0) {
    // Idempotency keys are tokens: the name's spaces become dashes.
    auto key = name;
    std::ranges::replace(key, ' ', '-');
    auto s = core_.wallets().create_sponsor("sp-" + key, name, kind, staff("tester"));
    EXPECT_TRUE(s) << s.error().message;
    if (deposit > 0) {
      EXPECT_TRUE(core_.wallets().deposit("dep-" + key, s->sponsor.id, deposit, "transfer", staff("tester")));
    }
    return s->sponsor.id;
  }

  // Events written to the outbox since the last call, decoded.
  std::vector<events::v1::Envelope> take_events() {
    std::vector<events::v1::Envelope> out;
    const auto rows = store::outbox_fetch_unsent(*db_, 100'000);
    std::vector<std::int64_t> ids;
    for (const auto& row : rows) {
      events::v1::Envelope e;
      EXPECT_TRUE(e.ParseFromString(row.payload));
      EXPECT_EQ(row.topic, kTopic);
      out.push_back(e);
      ids.push_back(row.id);
    }
    store::outbox_remove_sent(*db_, ids);
    return out;
  }
  static std::vector<events::v1::Envelope> of_type(const std::vector<events::v1::Envelope>& all,
                                                   const std::string& type) {
    std::vector<events::v1::Envelope> out;
    for (const auto& e : all)
      if (e.type() == type) out.push_back(e);
    return out;
  }

  FixedClock clock_;
  TableTariffs tariffs_;
  FakeRegistrar registrar_;
  std::unique_ptr<store::Database> db_;
  SqliteStore store_;
  CsrDonor core_;
};

}  // namespace jaring::csr::testing
