// The randomized year: the csr-donor core and the contribution core, each on its own
// SQLite file, pass their events to each other through an in-memory loop (what Kafka carries in
// production). Several sponsors deposit, start cohorts (some refused for double funding), end
// them, and run dry while the contribution service bills every month, workers pay for
// themselves, move and exit. Afterwards:
//  - each wallet's balance equals its deposits minus its payments (net of refunds), and its
//    ledger adds up to it;
//  - every paid period has exactly one payer, and every sponsor payment csr-donor recorded is
//    the payer of that period in the contribution ledger;
//  - every sponsored bill left unpaid raised an alert (SponsorPaymentFailed), and none was paid
//    silently by nobody.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "jaring/events/v1/envelope.pb.h"
#include "jaring/store/outbox.hpp"
#include "jaring/testing/fixtures.hpp"
#include "services/contribution/adapters/event_handler.hpp"
#include "services/contribution/adapters/sqlite_store.hpp"
#include "services/csr_donor/adapters/event_handler.hpp"
#include "services/csr_donor/adapters/sqlite_store.hpp"
#include "services/csr_donor/tests/staff.hpp"

namespace jaring::contribution {
extern const char kDefaultTariffs[];
}

namespace jaring::csr {
namespace {

namespace ev = events::v1;
namespace con = jaring::contribution;
using testing::kEveryone;
using testing::staff;

// Budget quotes from the same tariff table the contribution core bills with.
class SharedTariffs final : public Tariffs {
 public:
  explicit SharedTariffs(const con::TariffTable& table) : table_(table) {}
  Result<Rupiah> monthly(Month period, const Terms& t, const std::string&) override {
    auto charge = table_.charge(period, {t.category, t.payer, t.programs, t.income_band});
    if (!charge) return fail(charge.error());
    return charge->total;
  }

 private:
  const con::TariffTable& table_;
};

class NoRegistrar final : public Registrar {
 public:
  Result<std::vector<Registered>> register_workers(const std::vector<ProposalInput>&,
                                                   const std::string&) override {
    return fail(Error::unavailable("no registration in this test"));
  }
};

class FailingDeadLetters final : public kafka::DeadLetters {
 public:
  Result<void> send(const kafka::ConsumedMessage&, const std::string& reason) override {
    ADD_FAILURE() << "dead letter: " << reason;
    return {};
  }
};

struct Key {
  std::string participant;
  int period = 0;
  auto operator<=>(const Key&) const = default;
};

class CsrYearTest : public ::testing::Test {
 protected:
  CsrYearTest()
      : dir_("jaring-csr-year"),
        clock_(std::chrono::sys_days(std::chrono::year(2026) / 1 / 2)),
        table_(*con::TariffTable::parse(con::kDefaultTariffs, "tariffs")),
        contribution_db_(store::Database::open((dir_.path() / "contribution.db").string(),
                                               con::SqliteStore::migrations())),
        csr_db_(store::Database::open((dir_.path() / "csr-donor.db").string(), SqliteStore::migrations())),
        contribution_store_(*contribution_db_, clock_),
        csr_store_(*csr_db_, clock_),
        contribution_(contribution_store_, table_, con::Settings{}, clock_),
        tariffs_(table_),
        csr_(csr_store_, tariffs_, registrar_, Settings{2}, clock_),
        registry_("test"),
        contribution_handler_(contribution_, registry_),
        csr_handler_(csr_.projections(), registry_) {}

  // Delivers one registration event to both services.
  void registration_event(ev::Envelope envelope) {
    envelope.set_event_id(fmt::format("reg-{}", ++serial_));
    envelope.set_producer("registration");
    deliver_to_contribution({envelope.SerializeAsString()});
    ASSERT_TRUE(csr_handler_.apply_payload(envelope.SerializeAsString()));
  }
  void deliver_to_contribution(const std::vector<std::string>& payloads) {
    std::vector<kafka::ConsumedMessage> batch;
    batch.reserve(payloads.size());
    for (const auto& p : payloads) batch.push_back({"topic", 0, 0, "", p});
    ASSERT_TRUE(contribution_handler_.apply(batch, dead_));
  }

  // Passes events both ways until neither outbox has anything left.
  void pump() {
    for (;;) {
      const auto from_contribution = store::outbox_fetch_unsent(*contribution_db_, 100'000);
      const auto from_csr = store::outbox_fetch_unsent(*csr_db_, 100'000);
      if (from_contribution.empty() && from_csr.empty()) return;
      std::vector<std::int64_t> ids;
      for (const auto& m : from_contribution) {
        ev::Envelope e;
        ASSERT_TRUE(e.ParseFromString(m.payload));
        if (e.has_contribution_billed()) {
          const auto& b = e.contribution_billed();
          billed_[{b.participant_id(), Month::parse(b.period())->index()}] = b.outstanding();
        }
        if (e.has_sponsor_payment_rejected()) {
          ++rejected_;
          if (e.sponsor_payment_rejected().reason().find("another payer") != std::string::npos)
            ++rejected_for_another_payer_;
        }
        ASSERT_TRUE(csr_handler_.apply_payload(m.payload)) << e.type();
        ids.push_back(m.id);
      }
      store::outbox_remove_sent(*contribution_db_, ids);
      ids.clear();
      std::vector<std::string> payloads;
      for (const auto& m : from_csr) {
        ev::Envelope e;
        ASSERT_TRUE(e.ParseFromString(m.payload));
        if (e.has_sponsor_payment_failed()) {
          const auto& f = e.sponsor_payment_failed();
          EXPECT_TRUE(alerts_.insert({f.participant_id(), Month::parse(f.period())->index()}).second)
              << "two alerts for one bill";
        }
        if (e.has_sponsor_funds_low()) ++funds_low_;
        payloads.push_back(m.payload);
        ids.push_back(m.id);
      }
      deliver_to_contribution(payloads);
      store::outbox_remove_sent(*csr_db_, ids);
    }
  }

  template <typename T>
  std::vector<T> rows(store::Database& db, const std::string& sql, T (*read)(store::Statement&)) {
    return db.read([&](store::Database& d) {
      std::vector<T> out;
      auto s = d.prepare(sql);
      while (s.step()) out.push_back(read(s));
      return out;
    });
  }
  std::int64_t scalar(store::Database& db, const std::string& sql) {
    return db.read([&](store::Database& d) {
      auto s = d.prepare(sql);
      s.step();
      return s.column_int(0);
    });
  }

  jaring::testing::TempDir dir_;
  FixedClock clock_;
  con::TariffTable table_;
  std::unique_ptr<store::Database> contribution_db_, csr_db_;
  con::SqliteStore contribution_store_;
  SqliteStore csr_store_;
  con::Contribution contribution_;
  SharedTariffs tariffs_;
  NoRegistrar registrar_;
  CsrDonor csr_;
  metrics::Registry registry_;
  con::EventHandler contribution_handler_;
  EventHandler csr_handler_;
  FailingDeadLetters dead_;
  int serial_ = 0;
  std::map<Key, std::int64_t> billed_;  // outstanding when billed
  std::set<Key> alerts_;
  int rejected_ = 0;
  int rejected_for_another_payer_ = 0;
  int funds_low_ = 0;
};

TEST_F(CsrYearTest, WalletsBalanceEveryPaidPeriodHasOnePayerAndEveryUnpaidSponsoredBillAlerted) {
  // A fixed seed so that a failure replays; CSR_YEAR_SEED tries others.
  const char* given = std::getenv("CSR_YEAR_SEED");
  const std::uint64_t seed = given != nullptr ? std::stoull(given) : 20260101;
  SCOPED_TRACE(fmt::format("seed {} (CSR_YEAR_SEED={} replays it)", seed, seed));
  std::mt19937_64 rng(seed);
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  const std::vector<std::string> rws = {"31.75.06.1005.001", "31.75.06.1005.002", "31.75.06.1005.003",
                                        "31.75.06.1005.004", "31.75.06.1005.005"};
  const std::vector<std::string> categories = {"scavenger", "guard", "cleaner", "street_vendor", "pkk"};

  std::vector<std::string> people;
  std::set<std::string> exited;
  const auto register_worker = [&](const std::string& day) {
    const auto id = fmt::format("p_{:04d}", people.size());
    ev::Envelope e;
    e.set_type("ParticipantRegistered");
    auto* r = e.mutable_participant_registered();
    r->set_participant_id(id);
    r->set_rw_code(rws[static_cast<std::size_t>(pick(5))]);
    r->set_category(categories[static_cast<std::size_t>(pick(5))]);
    r->set_payer("self");
    r->set_programs(pick(5) == 0 ? "jkk+jkm+jht" : "jkk+jkm");
    r->set_income_band(1'000'000 + 500'000 * pick(3));
    r->set_registered_on(day);
    registration_event(e);
    people.push_back(id);
  };
  for (int i = 0; i < 200; ++i) register_worker("2026-01-02");

  std::vector<std::string> sponsors;
  std::map<std::string, Rupiah> deposited;
  const std::vector<std::string> kinds = {"csr_company", "city_budget", "philanthropy", "csr_company"};
  int deposit_serial = 0;
  const auto deposit = [&](const std::string& sponsor, Rupiah amount) {
    auto d = csr_.wallets().deposit(fmt::format("dep-{}", ++deposit_serial), sponsor, amount, "transfer",
                                    staff("finance"));
    ASSERT_TRUE(d) << d.error().message;
    deposited[sponsor] += amount;
    if (pick(4) == 0) {  // a retried deposit credits nothing
      ASSERT_TRUE(
          csr_.wallets()
              .deposit(fmt::format("dep-{}", deposit_serial), sponsor, amount, "transfer", staff("finance"))
              ->repeated);
    }
  };
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    auto s = csr_.wallets().create_sponsor(fmt::format("sponsor-{}", i), fmt::format("Sponsor {}", i),
                                           kinds[i], staff("admin"));
    ASSERT_TRUE(s);
    sponsors.push_back(s->sponsor.id);
    deposit(s->sponsor.id, Rupiah{16'800} * (20 + pick(200)));  // some run dry within months
  }

  int refused_overlaps = 0, cohorts_made = 0, cohorts_ended = 0, self_payments = 0, key = 0;
  std::vector<std::string> open_cohorts;
  for (int m = 0; m < 12; ++m) {
    const auto month = Month::of(2026, 1 + m);
    clock_.set(std::chrono::sys_days(std::chrono::year(2026) / (1 + m) / 3));
    ASSERT_TRUE(csr_.cohorts().close_completed());
    pump();
    if (m > 0) {
      for (int i = 0; i < 10; ++i) register_worker(fmt::format("{}-03", month.str()));
    }
    // Sponsors decide: new cohorts (named or by criteria), some overlapping; ends; deposits.
    for (int op = 0; op < 4; ++op) {
      const auto& s = sponsors[static_cast<std::size_t>(pick(4))];
      CohortSpec spec{s, fmt::format("cohort {}", ++key), month.next(pick(2)).str(), 1 + pick(8), {}, 0, {},
                      {}};
      if (pick(4) == 0) {
        spec.max_members = 1 + pick(10);
        spec.rw_codes = {rws[static_cast<std::size_t>(pick(5))]};
        spec.categories = {categories[static_cast<std::size_t>(pick(5))]};
      } else {
        std::set<std::string> chosen;
        const int n = 1 + pick(12);
        for (int i = 0; i < n; ++i) {
          const auto& p = people[static_cast<std::size_t>(pick(static_cast<int>(people.size())))];
          if (!exited.contains(p)) chosen.insert(p);
        }
        if (chosen.empty()) continue;
        spec.participant_ids.assign(chosen.begin(), chosen.end());
      }
      auto c = csr_.cohorts().create_cohort(fmt::format("cohort-{}", key), spec, staff("sponsor"));
      if (!c) {
        ASSERT_EQ(c.error().code, ErrorCode::kFailedPrecondition) << c.error().message;
        ++refused_overlaps;
        continue;
      }
      ++cohorts_made;
      open_cohorts.push_back(c->cohort.id);
    }
    if (!open_cohorts.empty() && pick(3) == 0) {
      const auto i = static_cast<std::size_t>(pick(static_cast<int>(open_cohorts.size())));
      auto ended =
          csr_.cohorts().end_cohort(fmt::format("end-{}", ++key), open_cohorts[i], "", staff("sponsor"));
      if (ended) ++cohorts_ended;
      open_cohorts.erase(open_cohorts.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (pick(3) == 0) deposit(sponsors[static_cast<std::size_t>(pick(4))], Rupiah{16'800} * (10 + pick(60)));
    // Workers move and exit.
    for (int i = 0; i < 3; ++i) {
      const auto& p = people[static_cast<std::size_t>(pick(static_cast<int>(people.size())))];
      if (exited.contains(p)) continue;
      ev::Envelope e;
      if (pick(2) == 0) {
        e.set_type("ParticipantMoved");
        e.mutable_participant_moved()->set_participant_id(p);
        e.mutable_participant_moved()->set_to_rw_code(rws[static_cast<std::size_t>(pick(5))]);
      } else {
        e.set_type("ParticipantExited");
        e.mutable_participant_exited()->set_participant_id(p);
        e.mutable_participant_exited()->set_reason("moved_away");
        e.mutable_participant_exited()->set_exit_date(fmt::format("{}-03", month.str()));
        exited.insert(p);
      }
      registration_event(e);
    }
    pump();
    // Some workers pay for themselves, ahead or in arrears (sponsored ones too).
    for (int i = 0; i < 40; ++i) {
      const auto& p = people[static_cast<std::size_t>(pick(static_cast<int>(people.size())))];
      if (exited.contains(p)) continue;
      con::PaymentCommand pay{fmt::format("self-{}", ++key), p, "agent_cash", "", "a_1", 16'800, 1, ""};
      if (contribution_.pay(pay)) ++self_payments;
    }
    pump();
    auto run = contribution_.run_billing(fmt::format("bill-{}", month.str()), month.str());
    ASSERT_TRUE(run) << run.error().message;
    pump();
  }
  clock_.set(std::chrono::sys_days(std::chrono::year(2027) / 1 / 3));
  ASSERT_TRUE(csr_.cohorts().close_completed());
  pump();

  // The scenario did what it is meant to: payments, dry wallets, refusals, ends.
  const auto paid_by_sponsors = scalar(*csr_db_, "SELECT COUNT(*) FROM allocations WHERE refunded = 0");
  EXPECT_GT(paid_by_sponsors, 100);
  EXPECT_GT(alerts_.size(), 10u);
  EXPECT_GT(refused_overlaps, 0);
  EXPECT_GT(cohorts_made, 10);
  EXPECT_GT(cohorts_ended, 0);
  EXPECT_GT(self_payments, 100);
  EXPECT_GT(funds_low_, 0);

  // 1. Each wallet: balance = deposits - payments (net of refunds) = the sum of its ledger.
  for (const auto& s : sponsors) {
    const auto view = csr_.wallets().sponsor(s, kEveryone);
    ASSERT_TRUE(view);
    const auto payments = scalar(
        *csr_db_, fmt::format("SELECT COALESCE(SUM(amount), 0) FROM allocations WHERE sponsor_id = '{}' AND "
                              "refunded = 0",
                              s));
    EXPECT_EQ(view->sponsor.balance, deposited[s] - payments) << s;
    EXPECT_EQ(view->sponsor.deposited, deposited[s]) << s;
    EXPECT_EQ(view->sponsor.spent, payments) << s;
    EXPECT_EQ(scalar(*csr_db_,
                     fmt::format("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE sponsor_id = '{}'", s)),
              view->sponsor.balance)
        << s;
    EXPECT_GE(view->sponsor.balance, 0);
  }

  // 2. One payer per paid period, and every sponsor payment is that payer.
  EXPECT_EQ(
      scalar(*contribution_db_,
             "SELECT COUNT(*) FROM (SELECT a.participant_id, a.period FROM allocations a JOIN payments p ON "
             "p.id = a.payment_id WHERE a.reversed = 0 GROUP BY a.participant_id, a.period "
             "HAVING COUNT(DISTINCT p.payer) > 1)"),
      0);
  struct Paid {
    std::string participant, sponsor;
    std::int64_t period = 0, amount = 0;
  };
  const auto sponsor_paid = rows<Paid>(
      *csr_db_, "SELECT participant_id, sponsor_id, period, amount FROM allocations WHERE refunded = 0",
      [](store::Statement& s) {
        return Paid{s.column_text(0), s.column_text(1), s.column_int(2), s.column_int(3)};
      });
  for (const auto& a : sponsor_paid) {
    const auto payer_of = rows<std::string>(*contribution_db_,
                                            fmt::format("SELECT payer || ':' || paid || ':' || total FROM "
                                                        "dues WHERE participant_id = '{}' AND period = {}",
                                                        a.participant, a.period),
                                            [](store::Statement& s) { return s.column_text(0); });
    ASSERT_EQ(payer_of.size(), 1u) << a.participant << " "
                                   << Month::from_index(static_cast<int>(a.period)).str();
    EXPECT_EQ(payer_of[0], fmt::format("sponsor:{}:{}:{}", a.sponsor, a.amount, a.amount))
        << a.participant << " " << Month::from_index(static_cast<int>(a.period)).str();
  }
  // The worker's own money (credit, or paid ahead) never takes a month a sponsor funds, so no
  // sponsor payment is refused for another payer (18-43 of them were, before).
  EXPECT_EQ(rejected_for_another_payer_, 0);
  // Refunds happen only when contribution refused a payment; the money came back.
  EXPECT_EQ(scalar(*csr_db_, "SELECT COUNT(*) FROM allocations WHERE refunded = 1"), rejected_);

  // 3. Every sponsored bill left open raised an alert; no bill was both paid and alerted.
  struct Cover {
    std::string participant;
    std::int64_t from = 0, to = 0;
  };
  const auto covers = rows<Cover>(*csr_db_, "SELECT participant_id, from_period, to_period FROM memberships",
                                  [](store::Statement& s) {
                                    return Cover{s.column_text(0), s.column_int(1), s.column_int(2)};
                                  });
  std::set<Key> sponsored;
  for (const auto& c : covers)
    for (auto p = c.from; p <= c.to; ++p) sponsored.insert({c.participant, static_cast<int>(p)});
  std::set<Key> paid;
  for (const auto& a : sponsor_paid) paid.insert({a.participant, static_cast<int>(a.period)});
  int checked = 0;
  for (const auto& [k, outstanding] : billed_) {
    if (!sponsored.contains(k) || outstanding <= 0) continue;
    ++checked;
    const bool was_paid = paid.contains(k);
    const bool alerted = alerts_.contains(k);
    EXPECT_TRUE(was_paid != alerted) << k.participant << " " << Month::from_index(k.period).str() << ": paid "
                                     << was_paid << ", alerted " << alerted;
  }
  EXPECT_GT(checked, 100);
  // Bills alerted stay open for the worker or agent unless they paid them since.
  for (const auto& k : alerts_) {
    const auto payer =
        rows<std::string>(*contribution_db_,
                          fmt::format("SELECT payer FROM dues WHERE participant_id = '{}' AND period = {}",
                                      k.participant, k.period),
                          [](store::Statement& s) { return s.column_text(0); });
    ASSERT_EQ(payer.size(), 1u);
    EXPECT_FALSE(payer[0].starts_with("sponsor:")) << k.participant;
  }
  RecordProperty("sponsor_payments", static_cast<int>(paid_by_sponsors));
  RecordProperty("alerts", static_cast<int>(alerts_.size()));
  std::printf(
      "seed %llu: %lld sponsor payments, %zu alerts, %d overlaps refused, %d cohorts, %d ended, %d refunds\n",
      static_cast<unsigned long long>(seed), static_cast<long long>(paid_by_sponsors), alerts_.size(),
      refused_overlaps, cohorts_made, cohorts_ended, rejected_);
}

}  // namespace
}  // namespace jaring::csr
