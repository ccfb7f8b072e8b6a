#include "jaring/events/envelope.hpp"

#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <string>

#include "jaring/common/ids.hpp"
#include "jaring/log/log.hpp"

namespace jaring::events {

void stamp(v1::Envelope& envelope, std::string_view producer, const Clock& clock) {
  envelope.set_event_id(new_id("e_"));
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
