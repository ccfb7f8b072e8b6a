#include "core/contribution.hpp"
#include "adapters/event_handler.hpp"
#include "adapters/sqlite_store.hpp"
#include "projection.hpp"

namespace jaring::contribution {
extern const char kDefaultTariffs[];
}

namespace jaring::bench {
namespace {

class ContributionProjection final : public Projection {
 public:
  explicit ContributionProjection(const std::filesystem::path& dir)
      : db_(store::Database::open((dir / "contribution.db").string(),
                                  contribution::SqliteStore::migrations())),
        store_(*db_, clock_),
        tariffs_(contribution::TariffTable::parse(contribution::kDefaultTariffs, "tariffs").value()),
        core_(store_, tariffs_, contribution::Settings{}, clock_),
        handler_(core_, metrics_) {
    handler_.batch_in(*db_);
  }

 private:
  kafka::BatchHandler& handler() override { return handler_; }

  SystemClock clock_;
  metrics::Registry metrics_{"contribution"};
  std::unique_ptr<store::Database> db_;
  contribution::SqliteStore store_;
  contribution::TariffTable tariffs_;
  contribution::Contribution core_;
  contribution::EventHandler handler_;
};

}  // namespace

std::unique_ptr<Projection> contribution_projection(const std::filesystem::path& dir) {
  return std::make_unique<ContributionProjection>(dir);
}

}  // namespace jaring::bench
