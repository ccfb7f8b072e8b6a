// The registration core and its SQLite store alone, without gRPC or Kafka: how many rows per
// second bulk registration writes (validation, NIK checks, participant, key and outbox rows in
// one transaction per batch). The ceiling the end-to-end figure is bounded by.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "adapters/sqlite_store.hpp"
#include "core/registration.hpp"
#include "jaring/sample/sample.hpp"
#include "jaring/store/outbox.hpp"

using namespace jaring;
using namespace jaring::registration;

int main(int argc, char** argv) try {
  CLI::App app{"Bulk registration into the SQLite store alone (no gRPC, no Kafka)"};
  int rows = 200'000;
  int batch = 1000;
  app.add_option("--rows", rows, "workers to register")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "rows per transaction (one RegisterBulk message)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  const auto path =
      std::filesystem::temp_directory_path() / fmt::format("jaring-store-bench-{}.db", ::getpid());
  SystemClock clock;
  {
    const crypto::Sealer sealer(crypto::Keys::generate());
    auto db = store::Database::open(path.string(), SqliteStore::migrations(sealer));
    SqliteStore store(*db, sealer, clock);
    Registration core(store, areas::Registry::jakarta(), areas::BranchMap::jakarta(), clock);
    std::vector<std::string> rws;
    for (int n = 1; n <= 100; ++n) rws.push_back(core.create_rw("31.75.06.1005", n, 0)->code);
    sample::Generator generator(7);
    std::vector<RegisterCommand> commands;
    for (int i = 0; i < rows; ++i) {
      const auto w = generator.worker(static_cast<std::uint64_t>(i));
      RegisterCommand c{fmt::format("k{}", i),
                        w.nik,
                        w.name,
                        w.birth_date,
                        w.sex,
                        w.phone,
                        rws[static_cast<std::size_t>(i) % rws.size()],
                        w.rt,
                        w.category,
                        w.income_band,
                        w.programs,
                        w.payer,
                        "",
                        ""};
      if (c.category == "construction_worker") c.category = "other_informal";
      commands.push_back(std::move(c));
    }
    const auto start = std::chrono::steady_clock::now();
    int ok = 0;
    for (int from = 0; from < rows; from += batch) {
      const auto end = std::min(rows, from + batch);
      std::vector<RegisterCommand> part(commands.begin() + from, commands.begin() + end);
      for (const auto& outcome : core.register_bulk(part)) ok += outcome.result && !outcome.already_present;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("store only: {} rows in batches of {}: {:.0f} rows/s ({:.2f} s), {} registered, backlog {}\n",
               rows, batch, rows / s, s, ok, store::outbox_backlog(*db));
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "jaring-bench-registration-store: %s\n", e.what());
  return 1;
}
