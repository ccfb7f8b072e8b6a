#pragma once
// A claims core on a SQLite file in a temporary directory, with the compiled-in benefits, a
// clock on 15 March 2026 (Asia/Jakarta) and a fake registration; helpers give registration its
// participants and feed the periods' projection as the consumer would.

#include <gtest/gtest.h>

#include <memory>

#include "adapters/sqlite_store.hpp"
#include "core/claims.hpp"
#include "core/dates.hpp"
#include "core/rules.hpp"
#include "fake_registry.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/store/outbox.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::claims {
extern const char kDefaultBenefits[];
}

namespace jaring::claims {
// The scope of a caller who sees everything (an auditor, an admin): the tests not about scope.
inline const auth::Scope kEveryone = auth::Scope::everything();
}  // namespace jaring::claims

namespace jaring::claims::testing {

// Noon in Jakarta on a YYYY-MM-DD day.
inline TimePoint jakarta_noon(const std::string& date) {
  return std::chrono::sys_days(*parse_date(date)) + std::chrono::hours(5);
}

// A death claim by a widow (or another heir) with the family card as filed.
inline FileCommand death_claim(const std::string& key, const std::string& id, const std::string& type,
                               const std::string& event_date, const std::string& relation = "spouse") {
  FileCommand c;
  c.idempotency_key = key;
  c.participant_id = id;
  c.claim_type = type;
  c.event_date = event_date;
  c.claimant = {"Siti Aminah", "3172014505800002", relation, "081200000000"};
  c.family = {{"spouse", relation == "spouse", "Siti Aminah"}, {"child", true, "Rina"}};
  if (relation != "spouse" && relation != "child") c.family = {{"spouse", false, "Siti Aminah"}};
  return c;
}

// A JKK claim the participant files for themself, after an accident on 20 February 2026.
inline FileCommand own_claim(const std::string& key, const std::string& id, const std::string& type) {
  FileCommand c;
  c.idempotency_key = key;
  c.participant_id = id;
  c.claim_type = type;
  c.event_date = "2026-02-20";
  c.claimant = {"Budi Santoso", "", "", ""};
  return c;
}

class ClaimsFixture : public ::testing::Test {
 protected:
  explicit ClaimsFixture(Settings settings = {})
      : dir_("jaring-claims-test"),
        clock_(jakarta_noon("2026-03-15")),
        benefits_(*BenefitTable::parse(kDefaultBenefits, "benefits")),
        db_(store::Database::open((dir_.path() / "claims.db").string(), SqliteStore::migrations(sealer_))),
        store_(*db_, sealer_, clock_),
        core_(std::make_unique<Claims>(store_, registry_, benefits_, settings, clock_)) {}

  void reset(Settings settings) {
    core_ = std::make_unique<Claims>(store_, registry_, benefits_, settings, clock_);
  }

  // A participant registered on `registered_on` with a declared income of `band`, as registration
  // answers for them.
  Participant& participant(const std::string& id, const std::string& registered_on = "2020-01-10",
                           Rupiah band = 1'000'000) {
    return registry_.participants[id] = {id,
                                         "31.75.06.1005.002",
                                         "pulogebang",
                                         "rt_rw_official",
                                         "a_1",
                                         band,
                                         registered_on,
                                         "",
                                         "",
                                         {},
                                         {}};
  }
  // Pays every month from `from` to `to` (YYYY-MM, inclusive), received on `paid_on`.
  void pay(const std::string& id, const std::string& from, const std::string& to,
           const std::string& paid_on) {
    PaymentFacts facts{"pay_" + id + "_" + from + "_" + to, id, {}, {}, to};
    for (int m = *parse_month(from); m <= *parse_month(to); ++m) {
      facts.periods.push_back(month_text(m));
      facts.paid_periods.push_back(month_text(m));
    }
    ASSERT_TRUE(core_->payment_received("e_" + facts.payment_id, facts, jakarta_noon(paid_on)));
  }

  static inline const std::vector<std::string> kDeathDocuments = {
      "participant_card", "ktp_deceased",     "ktp_heir",     "death_certificate",
      "family_card",      "heir_certificate", "marriage_book"};

  // Outbox rows of one event type.
  std::vector<events::v1::Envelope> outbox(const std::string& type) {
    std::vector<events::v1::Envelope> out;
    for (const auto& row : store::outbox_fetch_unsent(*db_, 10000)) {
      events::v1::Envelope e;
      if (e.ParseFromString(row.payload) && e.type() == type) out.push_back(e);
    }
    return out;
  }

  jaring::testing::TempDir dir_;
  FixedClock clock_;
  BenefitTable benefits_;
  crypto::Sealer sealer_{crypto::Keys::generate()};
  std::unique_ptr<store::Database> db_;
  SqliteStore store_;
  FakeRegistry registry_;
  std::unique_ptr<Claims> core_;
  Actor agent_{"agent.budi", "agent"};
  Actor officer_{"officer.ani", "branch-officer"};
  Actor approver_{"approver.joko", "approver"};
};

}  // namespace jaring::claims::testing
