#pragma once
// The harness's client for unary calls: `total` calls with `in_flight` outstanding at any time
// (each one a client waiting for its answer before it asks again), driven from one thread through
// one completion queue. The blocking stub used a thread a client, and each answer woke its
// thread through gRPC's pollset: 90-105 µs of the generator's CPU a call (a fifth of all the CPU
// on 2 cores in the single-call phase, taken from the stack it measures); this way, 65-80 µs.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include "jaring/common/assert.hpp"

namespace jaring::bench {

// Makes the calls numbered 0 .. total-1 in order, keeping `in_flight` of them outstanding.
// `prepare(i, context, cq)` sets up call i on a fresh context (deadline, credentials) and returns
// its reader, not started (a stub's PrepareAsyncX); `done(i, ok)` runs as each call ends, in the
// order they end, on the calling thread.
template <typename Reply, typename Prepare, typename Done>
void call_in_flight(std::size_t total, int in_flight, Prepare&& prepare, Done&& done) {
  JARING_ASSERT(in_flight > 0, "at least one call in flight");
  struct Call {
    std::size_t index = 0;
    std::unique_ptr<::grpc::ClientContext> context;
    std::unique_ptr<::grpc::ClientAsyncResponseReader<Reply>> reader;
    Reply reply;
    ::grpc::Status status;
  };
  ::grpc::CompletionQueue cq;
  std::vector<Call> calls(std::min(total, static_cast<std::size_t>(in_flight)));
  std::size_t next = 0;
  const auto start = [&](Call& call) {
    call.index = next++;
    call.context = std::make_unique<::grpc::ClientContext>();
    call.reply.Clear();
    call.reader = prepare(call.index, *call.context, cq);
    call.reader->StartCall();
    call.reader->Finish(&call.reply, &call.status, &call);
  };
  for (auto& call : calls) start(call);
  std::size_t outstanding = calls.size();
  void* tag = nullptr;
  bool ok = false;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    auto& call = *static_cast<Call*>(tag);
    done(call.index, ok && call.status.ok());
    --outstanding;
    if (next < total) {
      start(call);
      ++outstanding;
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace jaring::bench
