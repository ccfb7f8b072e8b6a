#include <stdexcept>

#include <fmt/format.h>

#include "projection.hpp"

namespace jaring::bench {
namespace {

class NoDeadLetters final : public kafka::DeadLetters {
 public:
  Result<void> send(const kafka::ConsumedMessage& message, const std::string& reason) override {
    throw std::runtime_error(fmt::format("event at offset {} refused: {}", message.offset, reason));
  }
};

}  // namespace

void Projection::apply(const std::vector<kafka::ConsumedMessage>& batch) {
  NoDeadLetters dead;
  if (auto applied = handler().apply(batch, dead); !applied)
    throw std::runtime_error("batch not applied: " + applied.error().message);
}

}  // namespace jaring::bench
