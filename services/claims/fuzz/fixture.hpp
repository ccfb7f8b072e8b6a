#pragma once
// What claims' fuzz targets start each input from: the store of the unit tests, in memory (with
// its sealed personal data and audit trail), on 15 March 2026 with the compiled-in benefits and
// one participant the seeds name, p_seed of Pulo Gebang (registered 10 January 2020 by agent
// a_1, declared income Rp1,000,000: what a fake registration answers), whose contributions are
// paid from 2020-01 to 2026-03.

#include <chrono>
#include <cstdlib>
#include <memory>

#include "adapters/sqlite_store.hpp"
#include "core/claims.hpp"
#include "core/dates.hpp"
#include "jaring/audit/trail.hpp"
#include "tests/fake_registry.hpp"

namespace jaring::claims {

extern const char kDefaultBenefits[];

struct FuzzFixture {
  FuzzFixture() {
    const auto ok = [](const Result<void>& r) {
      if (!r) std::abort();
    };
    registry.participants["p_seed"] = {"p_seed",
                                       "31.75.06.1005.002",
                                       "pulogebang",
                                       "rt_rw_official",
                                       "a_1",
                                       1'000'000,
                                       "2020-01-10",
                                       "",
                                       "",
                                       {},
                                       {}};
    PaymentFacts paid{"pay_seed", "p_seed", {}, {}, "2026-03"};
    for (int m = *parse_month("2020-01"); m <= *parse_month("2026-03"); ++m) {
      paid.periods.push_back(month_text(m));
      paid.paid_periods.push_back(month_text(m));
    }
    ok(core.payment_received("e_pay", paid, clock.now()));
  }

  static const BenefitTable& benefits() {
    static const BenefitTable table = *BenefitTable::parse(kDefaultBenefits, "benefits");
    return table;
  }
  // One key for every input: making keys is slow, and nothing depends on which.
  static const crypto::Sealer& sealer() {
    static const crypto::Sealer instance{crypto::Keys::generate()};
    return instance;
  }

  FixedClock clock{std::chrono::sys_days(std::chrono::year(2026) / 3 / 15) + std::chrono::hours(5)};
  std::unique_ptr<store::Database> db = store::Database::open(":memory:", SqliteStore::migrations(sealer()));
  SqliteStore store{*db, sealer(), clock};
  audit::Trail trail{*db, "claims", clock};
  testing::FakeRegistry registry;
  Claims core{store, registry, benefits(), Settings{}, clock};
};

}  // namespace jaring::claims
