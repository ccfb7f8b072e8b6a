#pragma once
// What csr-donor's fuzz targets start each input from: the unit tests' store (SQLite in memory,
// with its audit trail) on 15 March 2026, the unit tests' tariff table and registrar
// (tests/fakes.hpp), and two workers the seeds name in RW 31.75.06.1005.002 of Pulo Gebang:
// p_seed (a scavenger paid by a sponsor) and p_self (paying for themselves).

#include <chrono>
#include <cstdlib>
#include <memory>

#include "adapters/sqlite_store.hpp"
#include "core/csr.hpp"
#include "jaring/audit/trail.hpp"
#include "tests/fakes.hpp"

namespace jaring::csr {

struct FuzzFixture {
  FuzzFixture() {
    const auto ok = [](const Result<void>& r) {
      if (!r) std::abort();
    };
    ok(core.projections().participant_registered(
        "e_seed", {"p_seed", "31.75.06.1005.002", "scavenger", "sponsor", "jkk+jkm", 1'000'000, true, ""}));
    ok(core.projections().participant_registered(
        "e_self", {"p_self", "31.75.06.1005.002", "ojol_driver", "self", "jkk+jkm", 2'000'000, true, ""}));
  }

  FixedClock clock{std::chrono::sys_days(std::chrono::year(2026) / 3 / 15)};
  testing::TableTariffs tariffs;
  testing::FakeRegistrar registrar;
  std::unique_ptr<store::Database> db = store::Database::open(":memory:", SqliteStore::migrations());
  SqliteStore store{*db, clock};
  audit::Trail trail{*db, "csr-donor", clock};
  CsrDonor core{store, tariffs, registrar, Settings{}, clock};
};

}  // namespace jaring::csr
