// Billing run for N participants (1,000,000 by default) on the real SQLite store in a temp dir:
// prints the time of the run and the peak resident memory. Target: under 60 s and 500 MB on 2 cores.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "adapters/sqlite_store.hpp"
#include "core/contribution.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::contribution {
extern const char kDefaultTariffs[];
}

using namespace jaring;
using namespace jaring::contribution;

namespace {

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int participants = 1'000'000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--participants") == 0) participants = std::stoi(argv[i + 1]);
  }
  testing::TempDir dir("jaring-billing-bench");
  FixedClock clock(std::chrono::sys_days(std::chrono::year(2026) / 3 / 1));
  auto tariffs = TariffTable::parse(kDefaultTariffs, "tariffs");
  if (!tariffs) return 1;
  auto db = store::Database::open((dir.path() / "contribution.db").string(), SqliteStore::migrations());
  SqliteStore store(*db, clock);
  Contribution core(store, *tariffs, Settings{}, clock, 5000);

  // Accounts as registration would open them; in large transactions so that setup stays quick.
  const auto setup = std::chrono::steady_clock::now();
  constexpr const char* kCategories[] = {"ojol_driver", "pkk", "rt_rw_official", "street_vendor", "guard"};
  constexpr const char* kPayers[] = {"self", "self", "sponsor", "city_budget"};
  for (int first = 0; first < participants; first += 20'000) {
    auto done = store.transact([&](Unit& unit) -> Result<void> {
      for (int i = first; i < std::min(participants, first + 20'000); ++i) {
        Opening o{fmt::format("p_{:08d}", i),
                  fmt::format("31.75.06.1005.{:03d}", i % 200 + 1),
                  fmt::format("a_{}", i % 500),
                  "pulogebang",
                  "2026-03-05",
                  "",
                  "2026-03-05T03:00:00.000Z",
                  {kCategories[i % 5], kPayers[i % 4], i % 7 == 0 ? "jkk+jkm+jht" : "jkk+jkm",
                   1'000'000 + (i % 10) * 500'000},
                  true};  // as registration's events say: the opening announces nothing
        auto book = open_book(o, "2026-03");
        if (!book) return fail(book.error());
        unit.open(*book);
      }
      return {};
    });
    if (!done) {
      fmt::print(stderr, "setup failed: {}\n", done.error().message);
      return 1;
    }
  }
  fmt::print("setup: {} accounts in {:.1f} s\n", participants, seconds_since(setup));

  const auto start = std::chrono::steady_clock::now();
  auto run = core.run_billing("bench-2026-03", "2026-03");
  const double elapsed = seconds_since(start);
  if (!run) {
    fmt::print(stderr, "billing failed: {}\n", run.error().message);
    return 1;
  }
  auto again = core.run_billing("bench-2026-03-again", "2026-03");
  fmt::print(
      "billing_run participants={} periods_billed={} amount={} seconds={:.1f} rate={:.0f}/s "
      "peak_rss_mb={:.0f} "
      "repeat_billed_nothing={}\n",
      participants, run->accounts_billed, run->amount_billed, elapsed,
      static_cast<double>(run->accounts_billed) / elapsed, peak_rss_mb(),
      again && again->repeated ? "yes" : "no");
  fmt::print("target: under 60 s and under 500 MB on 2 cores\n");
  return run->accounts_billed == participants && again && again->repeated ? 0 : 1;
}
