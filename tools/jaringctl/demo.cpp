#include "demo.hpp"

#include <random>
#include <vector>

#include <fmt/format.h>

#include "jaring/areas/areas.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"

namespace jaring::tools {
namespace reg = jaring::registration::v1;

int load_demo(const std::shared_ptr<::grpc::Channel>& channel, const DemoOptions& options) {
  auto stub = reg::RegistrationService::NewStub(channel);
  std::mt19937_64 rng(options.seed);
  const auto& areas = areas::Registry::jakarta();

  // RWs: 6 to 14 per kelurahan, each with a weight so that some RWs are nearly at target and
  // others have barely started, as in the field.
  std::vector<std::string> rws;
  std::vector<double> weights;
  int failed = 0;
  for (const char* kecamatan : {"31.75.06", "31.75.07", "31.75.08"}) {
    for (const auto* kelurahan : areas.children(kecamatan)) {
      const int count = std::uniform_int_distribution<int>(6, 14)(rng);
      for (int number = 1; number <= count; ++number) {
        reg::CreateRwRequest request;
        request.set_kelurahan_code(kelurahan->code);
        request.set_number(number);
        ::grpc::ClientContext context;
        jaring::grpc::set_deadline(context, std::chrono::seconds(10));
        reg::Rw reply;
        const auto status = stub->CreateRw(&context, request, &reply);
        if (!status.ok() && status.error_code() != ::grpc::StatusCode::ALREADY_EXISTS) {
          fmt::print(stderr, "demo: RW {}.{:03d}: {}\n", kelurahan->code, number, status.error_message());
          ++failed;
          continue;
        }
        rws.push_back(areas::RwCode{kelurahan->code, number}.str());
        weights.push_back(std::gamma_distribution<double>(1.5, 1.0)(rng));
      }
    }
  }
  if (rws.empty()) return 1;

  sample::Generator generator(options.seed);
  std::discrete_distribution<std::size_t> pick_rw(weights.begin(), weights.end());
  int registered = 0;
  for (int i = 0; i < options.workers; ++i) {
    const auto w = generator.worker(static_cast<std::uint64_t>(i));
    reg::RegisterRequest request;
    request.set_idempotency_key(fmt::format("demo-{}-{}", options.seed, i));
    sample::fill_register_request(w, request);
    request.set_rw_code(rws[pick_rw(rng)]);
    ::grpc::ClientContext context;
    jaring::grpc::set_deadline(context, std::chrono::seconds(10));
    reg::Participant reply;
    const auto status = stub->Register(&context, request, &reply);
    if (status.ok()) {
      ++registered;
    } else {
      fmt::print(stderr, "demo: worker {}: {}\n", i, status.error_message());
      ++failed;
    }
  }
  fmt::print("demo: {} RWs in {} kecamatan, {} workers registered, {} failures\n", rws.size(), 3, registered,
             failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace jaring::tools
