#pragma once
// The demo `make up` loads: the kelurahan of Kecamatan Cakung, Duren Sawit and Makasar
// (Jakarta Timur) with their RWs, a few agents and some thousands of workers, then bills four
// months and pays for most of them (city budget, sponsors, agents' cash; some months ahead),
// leaving some in arrears and some lapsed, through the public gRPC APIs like any client.
// Loading it twice adds nothing (fixed idempotency keys and RW numbers).

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>

namespace jaring::tools {

struct DemoOptions {
  int workers = 3000;
  std::uint64_t seed = 2026;
};

// Returns the process exit code (0 when everything loaded).
int load_demo(const std::shared_ptr<::grpc::Channel>& registration,
              const std::shared_ptr<::grpc::Channel>& contribution, const DemoOptions& options);

}  // namespace jaring::tools
