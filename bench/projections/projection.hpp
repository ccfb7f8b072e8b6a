#pragma once
// One consumer's projection of registrations, applied as its service applies them: the service's
// own core, SQLite store and event handler, the batch in one transaction (what the stack's
// consumer does, less Kafka). Each service's part is a library of its own: their adapters'
// headers share names.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "jaring/kafka/kafka.hpp"

namespace jaring::bench {

class Projection {
 public:
  virtual ~Projection() = default;
  // Applies one batch; throws when the handler refuses an event: a benchmark that counted refused
  // events as applied would measure nothing.
  void apply(const std::vector<kafka::ConsumedMessage>& batch);

 protected:
  virtual kafka::BatchHandler& handler() = 0;
};

// The store file goes in `dir`.
std::unique_ptr<Projection> contribution_projection(const std::filesystem::path& dir);
std::unique_ptr<Projection> csr_donor_projection(const std::filesystem::path& dir);

}  // namespace jaring::bench
