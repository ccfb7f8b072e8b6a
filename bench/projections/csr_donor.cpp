#include "adapters/event_handler.hpp"
#include "adapters/sqlite_store.hpp"
#include "core/projections.hpp"
#include "projection.hpp"

namespace jaring::bench {
namespace {

// csr-donor's projections alone: quotes and proposals, which call other services, are not needed
// to follow registrations.
class CsrDonorProjection final : public Projection {
 public:
  explicit CsrDonorProjection(const std::filesystem::path& dir)
      : db_(store::Database::open((dir / "csr-donor.db").string(), csr::SqliteStore::migrations())),
        store_(*db_, clock_),
        units_(store_),
        projections_(units_, csr::Settings{}, clock_),
        handler_(projections_, metrics_) {
    handler_.batch_in(*db_);
  }

 private:
  kafka::BatchHandler& handler() override { return handler_; }

  SystemClock clock_;
  metrics::Registry metrics_{"csr_donor"};
  std::unique_ptr<store::Database> db_;
  csr::SqliteStore store_;
  csr::Narrowed<csr::ProjectionUnit> units_;
  csr::Projections projections_;
  csr::EventHandler handler_;
};

}  // namespace

std::unique_ptr<Projection> csr_donor_projection(const std::filesystem::path& dir) {
  return std::make_unique<CsrDonorProjection>(dir);
}

}  // namespace jaring::bench
