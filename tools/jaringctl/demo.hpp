#pragma once
// The demo `make up` loads: the kelurahan of Kecamatan Cakung, Duren Sawit and Makasar
// (Jakarta Timur) with their RWs, a few agents and some thousands of workers; two sponsors who
// fund the workers listed for sponsors (one wallet runs dry); four months billed and most of them
// paid (city budget, agents' cash; some months ahead), leaving some in arrears and some lapsed;
// and two death claims paid, all through the public gRPC APIs like any client.
// Loading it twice adds nothing (fixed idempotency keys and RW numbers).

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>

namespace jaring::tools {

struct DemoOptions {
  int workers = 3000;
  std::uint64_t seed = 2026;
};

struct DemoChannels {
  std::shared_ptr<::grpc::Channel> registration, contribution, csr_donor, claims;
};

// Returns the process exit code (0 when everything loaded).
int load_demo(const DemoChannels& channels, const DemoOptions& options);

}  // namespace jaring::tools
