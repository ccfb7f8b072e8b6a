#include "jaring/events/envelope.hpp"

#include <google/protobuf/util/time_util.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "jaring/common/assert.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/log/log.hpp"

namespace jaring::events {
namespace {

struct Cause {
  std::string id;
  int stamped = 0;
};
thread_local Cause* t_cause = nullptr;

// SHA-256, fetched once: EVP_sha256() has OpenSSL 3 look the algorithm up again on every digest,
// which took as long as hashing the few bytes of an id.
const EVP_MD* sha256() {
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> kMd(EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                                                   &EVP_MD_free);
  JARING_ASSERT(kMd != nullptr, "OpenSSL's default provider has SHA-256");
  return kMd.get();
}

bool hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

CauseScope::CauseScope(std::string_view cause_id) {
  // Nested scopes do not happen (one consumed event at a time per thread); the outer one wins.
  // An event without an id (never one Jaring stamped) gives nothing to derive from.
  if (t_cause == nullptr && !cause_id.empty()) {
    t_cause = new Cause{std::string(cause_id), 0};
    owner_ = true;
  }
}

CauseScope::~CauseScope() {
  if (!owner_) return;
  delete t_cause;
  t_cause = nullptr;
}

std::string derived_event_id(std::string_view cause_id, std::string_view producer, int n) {
  // New ids start with 12 hex digits of milliseconds (common/ids.cpp): kept, so a store keyed by
  // event id still inserts near the end of its index.
  const auto time = cause_id.size() >= 14 && hex(cause_id.substr(2, 12)) ? cause_id.substr(2, 12) : "";
  for (int salt = 0;; ++salt) {
    const auto input = fmt::format("{}\n{}\n{}\n{}", cause_id, producer, n, salt);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(input.data(), input.size(), digest, &size, sha256(), nullptr);
    // 34 characters: the time's 12 digits and 10 bytes of the digest, or 16 bytes without it.
    const std::size_t bytes = std::min<std::size_t>(size, (32 - time.size()) / 2);
    auto id = fmt::format("e_{}{:02x}", time, fmt::join(digest, digest + bytes, ""));
    // As new_id: a log would mask a NIK-long run of digits, so such an id is drawn again.
    if (!has_decimal_run(std::string_view(id).substr(2), kNikDigits)) return id;
  }
}

void stamp(v1::Envelope& envelope, std::string_view producer, const Clock& clock) {
  envelope.set_event_id(t_cause != nullptr ? derived_event_id(t_cause->id, producer, t_cause->stamped++)
                                           : new_id("e_"));
  envelope.set_producer(std::string(producer));
  envelope.set_trace_id(log::current_trace_id());
  *envelope.mutable_occurred_at() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock.now().time_since_epoch()).count());
}

TimePoint occurred_at(const v1::Envelope& envelope) {
  const auto nanos = google::protobuf::util::TimeUtil::TimestampToNanoseconds(envelope.occurred_at());
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(nanos)));
}

}  // namespace jaring::events
