// jaring-csr-donor: wires the SQLite store, the contribution tariffs (Quote) and registration
// (RegisterBulk) clients, the registration, contribution and claims consumers, the outbox relay
// to Kafka, the cohort clock and the gRPC API around the csr-donor core.
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include "adapters/event_handler.hpp"
#include "adapters/grpc_service.hpp"
#include "adapters/remote.hpp"
#include "adapters/sqlite_store.hpp"
#include "jaring/kafka/kafka.hpp"
#include "jaring/service/service.hpp"

using namespace jaring;

namespace {

// Ends cohorts whose months ran out, now and then; stops promptly on request.
class CohortClock {
 public:
  CohortClock(csr::CsrDonor& core, std::chrono::seconds every) : core_(core), every_(every) {}
  ~CohortClock() { stop(); }
  void start() {
    thread_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        lock.unlock();
        if (auto closed = core_.close_completed(); !closed) {
          spdlog::warn("closing completed cohorts: {}", closed.error().message);
        } else if (*closed > 0) {
          spdlog::info("{} cohort(s) completed", *closed);
        }
        lock.lock();
        wake_.wait_for(lock, every_, [this] { return stopping_; });
      }
    });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  csr::CsrDonor& core_;
  std::chrono::seconds every_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  return service::run("csr-donor", argc, argv, [](const config::Source& source) {
    config::Reader reader(source);
    const auto common = service::read_common(reader, 50055, 9105);
    const auto store_path = reader.string("store.path", "csr-donor.db");
    const auto registration_address = reader.string("registration.address", "127.0.0.1:50051");
    const auto contribution_address = reader.string("contribution.address", "127.0.0.1:50053");
    const auto call_timeout = std::chrono::seconds(reader.integer("calls.timeout_seconds", 30, 1, 600));
    csr::Settings settings;
    settings.low_balance_months = static_cast<int>(reader.integer("alerts.low_balance_months", 2, 0, 120));
    settings.max_deposit = reader.integer("wallet.max_deposit", settings.max_deposit, 1,
                                          std::numeric_limits<std::int64_t>::max());
    const auto cohort_check =
        std::chrono::seconds(reader.integer("cohorts.check_interval_seconds", 60, 1, 86400));
    const auto kafka_settings = service::read_kafka(reader);
    const auto consumer_options = service::read_consumer(reader, "csr-donor",
                                                         {{"registration", "jaring.registration.v1"},
                                                          {"contribution", "jaring.contribution.v1"},
                                                          {"claims", "jaring.claims.v1"}});
    reader.finish();

    service::Runtime runtime("csr-donor", common);
    SystemClock clock;
    service::StoreAndOutbox parts(runtime, store_path, csr::SqliteStore::migrations(), kafka_settings);
    csr::SqliteStore store(parts.db(), clock, parts.committed());
    // csr-donor's own credential (auth.token_file) for the calls it makes for its callers.
    const auto credentials = runtime.credentials();
    csr::ContributionTariffs tariffs(service::channel(common, contribution_address), credentials,
                                     call_timeout);
    csr::RegistrationClient registrar(service::channel(common, registration_address), credentials,
                                      call_timeout);
    csr::CsrDonor core(store, tariffs, registrar, settings, clock);
    csr::GrpcService api(core, runtime.edge(csr::GrpcService::kName));
    csr::EventHandler handler(core, runtime.metrics);
    kafka::Consumer consumer(kafka_settings, consumer_options, parts.batched(handler), runtime.metrics);
    CohortClock cohorts(core, cohort_check);

    runtime.grpc.add_service(&api);
    spdlog::info("low-balance alert below {} month(s) of cover; tariffs from contribution at {}",
                 settings.low_balance_months, contribution_address);
    cohorts.start();
    parts.serve(consumer);
    cohorts.stop();
    return 0;
  });
}
