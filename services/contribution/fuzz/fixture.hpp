#pragma once
// What contribution's fuzz targets start each input from: the unit tests' store (SQLite in
// memory, with its audit trail) on 15 March 2026, the compiled-in tariffs, agent a_1 of
// Pulo Gebang and two accounts the seeds name: p_seed (paying for themselves, agent a_1) and
// p_city (paid by the city budget), both registered on 10 March.

#include <chrono>
#include <cstdlib>
#include <memory>

#include "adapters/sqlite_store.hpp"
#include "core/contribution.hpp"
#include "jaring/audit/trail.hpp"
#include "tests/sample_opening.hpp"

namespace jaring::contribution {

extern const char kDefaultTariffs[];

struct FuzzFixture {
  FuzzFixture() {
    const auto ok = [](const Result<void>& r) {
      if (!r) std::abort();
    };
    ok(core.register_agent("e_agent", "a_1", "PKK", "pulogebang"));
    ok(core.open_account("e_seed", testing::sample_opening("p_seed")));
    auto city = testing::sample_opening("p_city");
    city.agent_id.clear();
    city.terms = {"ppsu", "city_budget", "jkk+jkm", 1'000'000};
    ok(core.open_account("e_city", city));
  }

  static const TariffTable& tariffs() {
    static const TariffTable table = *TariffTable::parse(kDefaultTariffs, "tariffs");
    return table;
  }

  FixedClock clock{std::chrono::sys_days(std::chrono::year(2026) / 3 / 15)};
  std::unique_ptr<store::Database> db = store::Database::open(":memory:", SqliteStore::migrations());
  SqliteStore store{*db, clock};
  audit::Trail trail{*db, "contribution", clock};
  Contribution core{store, tariffs(), Settings{}, clock};
};

}  // namespace jaring::contribution
