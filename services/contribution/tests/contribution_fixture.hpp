#pragma once
// A contribution core on an in-memory SQLite store with the compiled-in tariffs and a clock in
// March 2026 (Asia/Jakarta).

#include <gtest/gtest.h>

#include <memory>

#include "adapters/sqlite_store.hpp"
#include "core/contribution.hpp"
#include "sample_opening.hpp"

namespace jaring::contribution {
extern const char kDefaultTariffs[];
}

namespace jaring::contribution::testing {

inline TimePoint march_2026() { return std::chrono::sys_days(std::chrono::year(2026) / 3 / 15); }

class ContributionFixture : public ::testing::Test {
 protected:
  explicit ContributionFixture(const std::string& path = ":memory:", int billing_chunk = 2000)
      : clock_(march_2026()),
        tariffs_(*TariffTable::parse(kDefaultTariffs, "tariffs")),
        db_(store::Database::open(path, SqliteStore::migrations())),
        store_(*db_, clock_),
        core_(std::make_unique<Contribution>(store_, tariffs_, Settings{}, clock_, billing_chunk)) {}

  static Opening opening(const std::string& id) { return sample_opening(id); }
  void open(const std::string& id) { ASSERT_TRUE(core_->open_account("e_" + id, opening(id))); }

  FixedClock clock_;
  TariffTable tariffs_;
  std::unique_ptr<store::Database> db_;
  SqliteStore store_;
  std::unique_ptr<Contribution> core_;
};

}  // namespace jaring::contribution::testing
