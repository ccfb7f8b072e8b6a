#include "core/claims.hpp"
#include "adapters/event_handler.hpp"
#include "adapters/sqlite_store.hpp"
#include "jaring/crypto/keys.hpp"
#include "jaring/crypto/sealer.hpp"
#include "projection.hpp"

namespace jaring::claims {
extern const char kDefaultBenefits[];
}

namespace jaring::bench {
namespace {

class ClaimsProjection final : public Projection {
 public:
  explicit ClaimsProjection(const std::filesystem::path& dir)
      : db_(store::Database::open((dir / "claims.db").string(), claims::SqliteStore::migrations(sealer_))),
        store_(*db_, sealer_, clock_),
        benefits_(claims::BenefitTable::parse(claims::kDefaultBenefits, "benefits").value()),
        core_(store_, benefits_, claims::Settings{}, clock_),
        handler_(core_, metrics_) {
    handler_.batch_in(*db_);
  }

 private:
  kafka::BatchHandler& handler() override { return handler_; }

  SystemClock clock_;
  crypto::Sealer sealer_{crypto::Keys::generate()};
  metrics::Registry metrics_{"claims"};
  std::unique_ptr<store::Database> db_;
  claims::SqliteStore store_;
  claims::BenefitTable benefits_;
  claims::Claims core_;
  claims::EventHandler handler_;
};

}  // namespace

std::unique_ptr<Projection> claims_projection(const std::filesystem::path& dir) {
  return std::make_unique<ClaimsProjection>(dir);
}

}  // namespace jaring::bench
