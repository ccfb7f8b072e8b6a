#pragma once
// What the end-to-end tests read from Kafka: the envelopes a consumer of Jaring's topics sees.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "jaring/events/v1/envelope.pb.h"
#include "jaring/kafka/kafka.hpp"

namespace jaring::e2e {

// Every envelope on the topics a test watches, as another system would read it: decoded, and
// the raw payloads (to check they carry no personal data).
class Collector final : public kafka::BatchHandler {
 public:
  std::map<kafka::TopicPartition, std::int64_t> start_offsets(const std::vector<kafka::TopicPartition>&,
                                                              const std::string&) override {
    return {};
  }
  Result<void> apply(const std::vector<kafka::ConsumedMessage>& batch, kafka::DeadLetters&) override {
    std::lock_guard lock(mutex_);
    for (const auto& m : batch) {
      events::v1::Envelope e;
      if (e.ParseFromString(m.payload)) envelopes_.push_back(e);
      payloads_.push_back(m.payload);
    }
    return {};
  }
  std::vector<events::v1::Envelope> of_type(const std::string& type) {
    std::lock_guard lock(mutex_);
    std::vector<events::v1::Envelope> out;
    for (const auto& e : envelopes_) {
      if (e.type() == type) out.push_back(e);
    }
    return out;
  }
  std::vector<std::string> payloads() {
    std::lock_guard lock(mutex_);
    return payloads_;
  }

 private:
  std::mutex mutex_;
  std::vector<events::v1::Envelope> envelopes_;
  std::vector<std::string> payloads_;
};

}  // namespace jaring::e2e
