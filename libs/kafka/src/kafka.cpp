#include "jaring/kafka/kafka.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <span>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "jaring/common/assert.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::kafka {

void in_partition_order(std::vector<ConsumedMessage>& batch) {
  struct Run {
    std::size_t from;
    std::size_t to;
  };
  std::vector<Run> runs;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (runs.empty() || batch[i].partition != batch[i - 1].partition ||
        batch[i].topic != batch[i - 1].topic) {
      runs.push_back({i, i});
    }
    runs.back().to = i + 1;
  }
  const auto before = [&batch](const Run& a, const Run& b) {
    const auto& x = batch[a.from];
    const auto& y = batch[b.from];
    return std::tie(x.topic, x.partition) < std::tie(y.topic, y.partition);
  };
  if (std::is_sorted(runs.begin(), runs.end(), before)) return;
  std::stable_sort(runs.begin(), runs.end(), before);
  std::vector<ConsumedMessage> ordered;
  ordered.reserve(batch.size());
  for (const auto& run : runs) {
    std::move(batch.begin() + static_cast<std::ptrdiff_t>(run.from),
              batch.begin() + static_cast<std::ptrdiff_t>(run.to), std::back_inserter(ordered));
  }
  batch = std::move(ordered);
}

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int to_ms(Clock::duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, 24LL * 3600 * 1000));
}

void set(RdKafka::Conf& conf, const std::string& key, const std::string& value) {
  std::string errstr;
  if (conf.set(key, value, errstr) != RdKafka::Conf::CONF_OK) {
    throw std::runtime_error("kafka setting " + key + "=" + value + ": " + errstr);
  }
}

// Defaults a deployment may tune, then its properties, then what correctness depends on.
std::unique_ptr<RdKafka::Conf> make_conf(const Settings& settings,
                                         const std::map<std::string, std::string>& defaults,
                                         const std::map<std::string, std::string>& enforced) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (settings.bootstrap_servers.empty()) throw std::runtime_error("kafka: bootstrap servers are not set");
  set(*conf, "bootstrap.servers", settings.bootstrap_servers);
  for (const auto& [key, value] : defaults) set(*conf, key, value);
  for (const auto& [key, value] : settings.properties) {
    if (enforced.contains(key) && enforced.at(key) != value) {
      spdlog::warn("kafka setting {}={} ignored: the adapter needs {}", key, value, enforced.at(key));
      continue;
    }
    set(*conf, key, value);
  }
  for (const auto& [key, value] : enforced) set(*conf, key, value);
  return conf;
}

// librdkafka's errors and logs go to spdlog. Runs on librdkafka's threads: must not throw.
class EventLogger final : public RdKafka::EventCb {
 public:
  explicit EventLogger(std::string name) : name_(std::move(name)) {}
  void event_cb(RdKafka::Event& event) override {
    try {
      switch (event.type()) {
        case RdKafka::Event::EVENT_ERROR:
          if (event.fatal()) {
            spdlog::error("kafka {}: fatal: {}: {}", name_, RdKafka::err2str(event.err()), event.str());
          } else {
            // Transport errors come and go while brokers restart; librdkafka retries them itself.
            spdlog::warn("kafka {}: {}: {}", name_, RdKafka::err2str(event.err()), event.str());
          }
          break;
        case RdKafka::Event::EVENT_LOG:
          // Connection failures ("FAIL") also arrive as EVENT_ERROR: log them once.
          if (event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING && event.fac() != "FAIL") {
            spdlog::warn("kafka {}: {}: {}", name_, event.fac(), event.str());
          } else {
            spdlog::debug("kafka {}: {}: {}", name_, event.fac(), event.str());
          }
          break;
        default:
          break;
      }
    } catch (...) {
    }
  }

 private:
  std::string name_;
};

// Per-label counters, created once: Family::Add takes a lock and hashes the labels each call.
class LabelledCounters {
 public:
  LabelledCounters(prometheus::Family<prometheus::Counter>& family, std::string label)
      : family_(family), label_(std::move(label)) {}
  prometheus::Counter& operator[](const std::string& value) {
    std::lock_guard lock(mutex_);
    auto it = counters_.find(value);
    if (it == counters_.end()) it = counters_.emplace(value, &family_.Add({{label_, value}})).first;
    return *it->second;
  }

 private:
  prometheus::Family<prometheus::Counter>& family_;
  std::string label_;
  std::mutex mutex_;
  std::map<std::string, prometheus::Counter*> counters_;
};

// One produce_and_wait call: which of its messages the broker acknowledged.
struct PendingBatch {
  enum State : char { kPending, kAcked, kFailed };
  explicit PendingBatch(std::size_t n) : states(n, kPending) {}
  void report(std::size_t index, Delivery outcome, const std::string& reason) {
    std::lock_guard lock(mutex);
    if (outcome != Delivery::kAcknowledged && !failure_logged) {
      failure_logged = true;  // one line per batch, not one per message of a dead broker
      spdlog::warn("kafka: delivery failed: {}", reason);
    }
    states[index] = outcome == Delivery::kAcknowledged ? kAcked : kFailed;
    done.notify_all();
  }
  std::mutex mutex;
  std::condition_variable done;
  std::vector<State> states;
  bool failure_logged = false;
};

// The opaque of one message: outlives the call that produced it, freed by its delivery report.
struct Ticket {
  std::shared_ptr<const DeliveryReport> report;
  std::size_t index;
};

}  // namespace

bool refused_for_good(int librdkafka_error) {
  switch (static_cast<RdKafka::ErrorCode>(librdkafka_error)) {
    // Above the producer's or the broker's size limit.
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
    // Refused by the broker's validation: corrupt, malformed, a timestamp out of range.
    case RdKafka::ERR_INVALID_MSG:
    case RdKafka::ERR_INVALID_MSG_SIZE:
    case RdKafka::ERR_INVALID_RECORD:
    case RdKafka::ERR_INVALID_TIMESTAMP:
    // Not a valid topic name, or one the service may not write to.
    case RdKafka::ERR_TOPIC_EXCEPTION:
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    // Refused by librdkafka before queueing.
    case RdKafka::ERR__INVALID_ARG:
      return true;
    default:
      // Timeouts, a broker away, leadership moving, a full queue, a purge at shutdown: they pass.
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Producer

struct Producer::Impl final : public RdKafka::DeliveryReportCb {
  Impl(const Settings& settings, const std::string& client_id, metrics::Registry& metrics)
      : events(client_id),
        produced(metrics.counter("events_produced_total", "Events the broker acknowledged, by topic"),
                 "topic"),
        errors(metrics.counter("produce_errors_total", "Events the producer failed to deliver").Add({})) {
    auto conf = make_conf(settings,
                          {{"client.id", client_id},
                           // Calls one at a time (1,000-1,600/s on the bench) made message sets of
                           // one or two events a partition at 5 ms, and every consumer fetches one
                           // set a request: at 20 ms the broker spent 60-110 µs a call instead of
                           // 130-250, for 5 ms more freshness (bench, three runs each).
                           {"linger.ms", "20"},
                           {"compression.type", "none"},
                           // librdkafka's default, said here: the outbox's limit follows it.
                           {"message.max.bytes", "1000000"},
                           // Same key-to-partition mapping as the Java client, so every producer
                           // of a topic keeps one participant on one partition.
                           {"partitioner", "murmur2_random"}},
                          {{"enable.idempotence", "true"}, {"acks", "all"}});
    std::string value;
    if (conf->get("message.max.bytes", value) == RdKafka::Conf::CONF_OK)
      max_message_bytes = std::stoul(value);
    std::string errstr;
    if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), errstr) != RdKafka::Conf::CONF_OK ||
        conf->set("event_cb", static_cast<RdKafka::EventCb*>(&events), errstr) != RdKafka::Conf::CONF_OK) {
      throw std::runtime_error("kafka producer callbacks: " + errstr);
    }
    producer.reset(RdKafka::Producer::create(conf.get(), errstr));
    if (!producer) throw std::runtime_error("kafka producer: " + errstr);
    // Delivery reports are served here, so any number of threads may wait for their batches.
    poller = std::thread([this] {
      while (!stopping.load()) producer->poll(100);
    });
  }

  ~Impl() override {
    // Give queued messages a moment, then purge the rest: their reports free their tickets (and
    // an outbox keeps what was not acknowledged). With none queued there is nothing to wait for
    // (flush would also wait for requests to a broker that may be gone, such as the idempotent
    // producer's id). Short, because SIGTERM must end the process within 10 s with the broker
    // gone, after the consumer's own close.
    if (held.load() > 0) {
      producer->flush(1000);
      producer->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
      producer->flush(500);
    }
    stopping = true;
    poller.join();
    producer->poll(0);
    producer.reset();
  }

  void dr_cb(RdKafka::Message& message) override {
    held.fetch_sub(1);
    try {
      std::unique_ptr<Ticket> ticket(static_cast<Ticket*>(message.msg_opaque()));
      const bool ok = message.err() == RdKafka::ERR_NO_ERROR;
      if (ok) {
        produced[message.topic_name()].Increment();
      } else {
        errors.Increment();
      }
      if (!ticket) return;
      const auto outcome = ok                                ? Delivery::kAcknowledged
                           : refused_for_good(message.err()) ? Delivery::kRefused
                                                             : Delivery::kFailed;
      (*ticket->report)(ticket->index, outcome, ok ? std::string() : message.errstr());
    } catch (...) {
      // Never let an exception unwind into librdkafka.
    }
  }

  EventLogger events;
  LabelledCounters produced;
  prometheus::Counter& errors;
  std::size_t max_message_bytes = 1'000'000;
  std::unique_ptr<RdKafka::Producer> producer;
  std::atomic<std::int64_t> held{0};  // messages librdkafka holds: produced, not yet reported
  std::atomic<bool> stopping{false};
  std::thread poller;
};

Producer::Producer(const Settings& settings, const std::string& client_id, metrics::Registry& metrics)
    : impl_(std::make_unique<Impl>(settings, client_id, metrics)) {}

Producer::~Producer() = default;

std::int64_t Producer::held() const { return impl_->held.load(); }

std::size_t Producer::max_message_bytes() const { return impl_->max_message_bytes; }

std::size_t Producer::send(std::span<const Message> messages, const DeliveryReport& report) {
  const auto shared = std::make_shared<const DeliveryReport>(report);
  std::size_t taken = 0;
  for (; taken < messages.size(); ++taken) {
    const auto& m = messages[taken];
    RdKafka::Headers* headers = nullptr;
    if (!m.headers.empty()) {
      headers = RdKafka::Headers::create();
      for (const auto& [key, value] : m.headers) headers->add(key, value);
    }
    auto ticket = std::make_unique<Ticket>(Ticket{shared, taken});
    const auto err = impl_->producer->produce(
        m.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(m.payload.data()), m.payload.size(), m.key.empty() ? nullptr : m.key.data(),
        m.key.size(), 0, headers, ticket.get());
    if (err == RdKafka::ERR_NO_ERROR) {
      impl_->held.fetch_add(1);
      (void)ticket.release();  // the delivery report owns it now
      continue;
    }
    delete headers;                              // left to us when produce fails
    if (err == RdKafka::ERR__QUEUE_FULL) break;  // not taken: the caller offers it again later
    impl_->errors.Increment();
    const bool refused = refused_for_good(err);
    report(taken, refused ? Delivery::kRefused : Delivery::kFailed, RdKafka::err2str(err));
    if (!refused) return taken + 1;  // later messages would overtake this one
  }
  return taken;
}

std::size_t Producer::produce_and_wait(const std::vector<Message>& messages,
                                       std::chrono::milliseconds timeout) {
  if (messages.empty()) return 0;
  const auto deadline = Clock::now() + timeout;
  auto batch = std::make_shared<PendingBatch>(messages.size());
  std::size_t queued = 0;
  // Done when every report came, or as soon as a failure fixed the length of the acked prefix.
  std::size_t acked = 0;
  auto decided = [&] {
    while (acked < queued && batch->states[acked] == PendingBatch::kAcked) ++acked;
    return acked == queued || batch->states[acked] == PendingBatch::kFailed;
  };
  while (queued < messages.size()) {
    const auto first = queued;
    queued += send(std::span(messages).subspan(first),
                   [batch, first](std::size_t index, Delivery outcome, const std::string& reason) {
                     batch->report(first + index, outcome, reason);
                   });
    if (queued == messages.size() || Clock::now() >= deadline) break;
    // The local queue is full (or a message failed): wait for deliveries to drain it.
    std::unique_lock lock(batch->mutex);
    if (decided() && acked < queued) break;  // a failure: later messages would not extend the prefix
    batch->done.wait_for(lock, 10ms);
  }
  if (queued < messages.size()) {
    spdlog::warn("kafka: {} of {} messages not queued in time", messages.size() - queued, messages.size());
  }
  std::unique_lock lock(batch->mutex);
  batch->done.wait_until(lock, deadline, decided);
  decided();
  return acked;
}

bool Producer::reachable(std::chrono::milliseconds timeout) {
  RdKafka::Metadata* metadata = nullptr;
  auto err = impl_->producer->metadata(false, nullptr, &metadata, static_cast<int>(timeout.count()));
  delete metadata;
  return err == RdKafka::ERR_NO_ERROR;
}

// ---------------------------------------------------------------------------------------------
// OutboxRelay

// What delivery reports leave for the relay, and the relay's wake-up: shared with the reports'
// callbacks, which may come after the relay is gone.
struct OutboxRelay::Inbox {
  std::mutex mutex;
  std::condition_variable wake;
  std::vector<Outcome> outcomes;
  bool notified = false;
  bool stopping = false;
};

OutboxRelay::OutboxRelay(store::Database& db, Producer& producer, metrics::Registry& metrics,
                         RelayOptions options)
    : db_(db),
      producer_(producer),
      options_(options),
      backlog_(&metrics.gauge("outbox_backlog_messages", "Outbox rows not yet published").Add({})),
      in_flight_gauge_(
          &metrics.gauge("outbox_in_flight_messages", "Outbox rows handed to the producer, not yet reported")
               .Add({})),
      stalled_gauge_(&metrics
                          .gauge("outbox_relay_stalled",
                                 "1 while outbox rows wait and no acknowledgement came for the stall time")
                          .Add({})),
      stall_seconds_(
          &metrics
               .gauge("outbox_stall_seconds", "Seconds since the last acknowledgement while outbox rows wait")
               .Add({})),
      set_aside_(&metrics
                      .counter("outbox_dead_lettered_total",
                               "Outbox rows the broker refused for good, moved to outbox_dead_letters")
                      .Add({})),
      dead_letters_(&metrics.gauge("outbox_dead_letter_messages", "Rows in outbox_dead_letters").Add({})),
      inbox_(std::make_shared<Inbox>()),
      last_progress_(Clock::now()) {
  if (options_.batch_size <= 0) throw std::runtime_error("outbox relay: batch_size must be positive");
  if (options_.max_in_flight < options_.batch_size)
    throw std::runtime_error("outbox relay: max_in_flight must be at least batch_size");
  // No row the producer would refuse for its size is ever stored (the append throws instead).
  const auto max = producer_.max_message_bytes();
  store::set_outbox_max_message_bytes(max > store::kOutboxFramingBytes ? max - store::kOutboxFramingBytes
                                                                       : 0);
  // Woken by every commit that appended rows to this outbox, whoever wrote them.
  db_.on_outbox_commit([this] { notify(); });
}

OutboxRelay::~OutboxRelay() {
  db_.on_outbox_commit({});
  stop();
}

void OutboxRelay::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  {
    std::lock_guard lock(inbox_->mutex);
    inbox_->stopping = false;
  }
  thread_ = std::thread([this] { run(); });
}

void OutboxRelay::stop() {
  {
    std::lock_guard lock(inbox_->mutex);
    stopping_ = true;
    inbox_->stopping = true;
  }
  inbox_->wake.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxRelay::notify() {
  {
    std::lock_guard lock(inbox_->mutex);
    // Notified already: the relay reads every row committed until it reads, and waking it
    // again only made it look at the clock and sleep on (while gathering, a wake-up a commit).
    if (inbox_->notified) return;
    inbox_->notified = true;
  }
  inbox_->wake.notify_all();
}

void OutboxRelay::wait(std::chrono::milliseconds timeout, bool until_stop, Clock::time_point gather_until) {
  std::unique_lock lock(inbox_->mutex);
  inbox_->wake.wait_for(lock, timeout, [this, until_stop] {
    return !inbox_->outcomes.empty() || inbox_->notified || (until_stop && inbox_->stopping);
  });
  if (inbox_->notified && inbox_->outcomes.empty()) {
    inbox_->wake.wait_until(lock, gather_until, [this, until_stop] {
      return !inbox_->outcomes.empty() || (until_stop && inbox_->stopping);
    });
  }
  inbox_->notified = false;
}

std::size_t OutboxRelay::step() {
  std::vector<Outcome> outcomes;
  {
    std::lock_guard lock(inbox_->mutex);
    outcomes.swap(inbox_->outcomes);
  }
  std::size_t acked = 0;
  std::vector<const Outcome*> refused;
  for (const auto& outcome : outcomes) {
    window_.reported(outcome.id, outcome.delivery == Delivery::kAcknowledged);
    switch (outcome.delivery) {
      case Delivery::kAcknowledged:
        ++acked;
        break;
      case Delivery::kRefused:
        refused.push_back(&outcome);
        break;
      case Delivery::kFailed:
        if (!rewind_)
          spdlog::warn(
              "outbox relay: delivery of row {} failed ({}); unsent rows are handed again once nothing is "
              "in flight",
              outcome.id, outcome.reason);
        rewind_ = true;
        break;
    }
  }
  const auto now = Clock::now();
  if (acked > 0 || !refused.empty()) last_progress_ = now;
  try {
    // Refused rows leave the outbox first: the removal below takes every row up to the oldest
    // one in flight, and a refused row is one of them.
    for (const auto* outcome : refused) {
      if (store::outbox_set_aside(db_, outcome->id, outcome->reason)) {
        set_aside_->Increment();
        // The id and the reason only: the key and payload may carry personal data.
        spdlog::error(
            "outbox relay: row {} refused for good ({}); moved to outbox_dead_letters, later rows go on",
            outcome->id, outcome->reason);
      }
    }
    // One transaction for a batch's worth of acknowledgements (or what came in 50 ms), not one
    // per wake-up; all of them before rows are read again from the oldest.
    if (static_cast<int>(window_.acknowledged()) >= options_.batch_size || window_.in_flight() == 0 ||
        rewind_ || now - removed_at_ >= 50ms)
      remove_acknowledged();
  } catch (...) {
    // A row not set aside stays in the outbox: it is handed again (and refused again) after the
    // rewind, which waits until the acknowledged rows are removed.
    rewind_ = true;
    throw;
  }
  if (rewind_ && window_.in_flight() == 0 && window_.acknowledged() == 0) {
    // Nothing of ours left in librdkafka: the rows still in the table are exactly the unsent
    // ones, so reading from the oldest hands no row twice.
    window_.restart();
    rewind_ = false;
    hand_after_ = now + options_.retry_backoff;
  }
  if (!rewind_ && !stopping_.load() && now >= hand_after_) hand_rows();
  refresh(!outcomes.empty() && window_.in_flight() == 0);
  return acked;
}

void OutboxRelay::remove_acknowledged(bool all) {
  removed_at_ = Clock::now();
  // Below the oldest row in flight, one range (the whole table, when the relay has caught up):
  // removed by id, the holes of partitions still reporting made many short runs, often of one
  // row, a DELETE each. By id when a failed row may lie among them (rewinding), and when a
  // partition keeps its reports (its leader moving) while those of the others pile up.
  const bool exact =
      all || rewind_ || window_.acknowledged() > 2 * static_cast<std::size_t>(options_.max_in_flight);
  const auto removal = window_.take(exact);
  if (removal.through) store::outbox_remove_through(db_, *removal.through);
  if (!removal.ids.empty()) store::outbox_remove_sent(db_, removal.ids);
}

void OutboxRelay::hand_rows() {
  // Whole batches only: a few acknowledgements free room for a few rows, and reading those one
  // report at a time would cost a query each.
  while (options_.max_in_flight - window_.in_flight() >= options_.batch_size) {
    const auto room = options_.batch_size;
    auto rows = store::outbox_fetch_after(db_, window_.last_handed(), room);
    if (rows.empty()) return;
    std::vector<Message> messages;
    messages.reserve(rows.size());
    for (auto& row : rows)
      messages.push_back(Message{row.topic, std::move(row.key), std::move(row.payload), {}});
    auto ids = std::make_shared<std::vector<std::int64_t>>();
    ids->reserve(rows.size());
    for (const auto& row : rows) ids->push_back(row.id);
    const auto taken = producer_.send(
        messages, [inbox = inbox_, ids](std::size_t index, Delivery delivery, const std::string& reason) {
          {
            std::lock_guard lock(inbox->mutex);
            inbox->outcomes.push_back({(*ids)[index], delivery, reason});
          }
          inbox->wake.notify_all();
        });
    for (std::size_t i = 0; i < taken; ++i) window_.handed((*ids)[i]);
    if (taken > 0) last_handed_ = Clock::now();
    if (taken < rows.size() || rows.size() < static_cast<std::size_t>(room))
      return;  // queue full, or all read
  }
}

void OutboxRelay::refresh(bool force) {
  const auto now = Clock::now();
  // Counting rows reads their pages: at most a few times a second under load, and only the rows
  // after the last one handed, as the relay knows how many are in flight (it counted the whole
  // table, thousands of rows in flight under bulk load: 2.6% of registration's CPU). Rows handed
  // and acknowledged but not yet removed are published. While rewinding, every row is counted.
  if (force || now - refreshed_ >= 100ms) {
    refreshed_ = now;
    backlog_rows_ = rewind_ ? store::outbox_backlog(db_)
                            : window_.in_flight() + store::outbox_backlog(db_, window_.last_handed());
    dead_letter_rows_ = store::outbox_dead_letter_count(db_);
    backlog_->Set(static_cast<double>(backlog_rows_.load()));
    dead_letters_->Set(static_cast<double>(dead_letter_rows_.load()));
  }
  const bool waiting = window_.in_flight() > 0 || backlog_rows_.load() > 0;
  if (!waiting) last_progress_ = now;
  const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_progress_);
  stall_ms_ = waiting ? since.count() : 0;
  const bool stalled = waiting && since >= options_.stall_after;
  if (stalled && !stalled_.load())
    spdlog::error("outbox relay: stalled: {} rows wait, {} handed to Kafka, no acknowledgement for {} s",
                  backlog_rows_.load(), window_.in_flight(), since.count() / 1000);
  if (!stalled && stalled_.load()) spdlog::info("outbox relay: acknowledgements again");
  stalled_ = stalled;
  in_flight_gauge_->Set(static_cast<double>(window_.in_flight()));
  stalled_gauge_->Set(stalled ? 1 : 0);
  stall_seconds_->Set(static_cast<double>(stall_ms_.load()) / 1000.0);
}

std::optional<std::string> OutboxRelay::readiness_note() const {
  std::string note;
  if (stalled_.load()) {
    note = fmt::format(
        "outbox relay stalled: {} events wait, no acknowledgement from Kafka for {} s (writes are kept in "
        "the "
        "outbox)",
        backlog_rows_.load(), stall_ms_.load() / 1000);
  }
  if (const auto dead = dead_letter_rows_.load(); dead > 0) {
    if (!note.empty()) note += "\n";
    note += fmt::format("outbox: {} events refused by Kafka for good, in outbox_dead_letters", dead);
  }
  if (note.empty()) return std::nullopt;
  return note;
}

std::size_t OutboxRelay::drain_once() {
  // One drainer at a time: the relay's thread and callers share the rows in flight.
  std::lock_guard drain(drain_mutex_);
  std::size_t published = 0;
  auto progress_at = Clock::now();
  refresh(true);  // a slow first publish must not show a stale backlog
  while (true) {
    const auto acked = step();
    published += acked;
    if (acked > 0) progress_at = Clock::now();
    if (window_.in_flight() == 0 && !rewind_ && backlog_rows_.load() == 0) break;
    if (Clock::now() - progress_at >= options_.delivery_timeout) {
      spdlog::warn("outbox relay: {} rows in flight, {} unsent: no acknowledgement for {} ms",
                   window_.in_flight(), backlog_rows_.load(), options_.delivery_timeout.count());
      break;
    }
    wait(std::chrono::milliseconds(50), false);
  }
  refresh(true);
  return published;
}

void OutboxRelay::run() {
  while (!stopping_.load()) {
    Clock::time_point gather_until;
    try {
      // Each round hands rows until the window is full or every row is read; reports, notify()
      // (gathered for options_.gather) and idle_poll bring the next.
      std::lock_guard drain(drain_mutex_);
      step();
      gather_until = last_handed_ + options_.gather;
    } catch (const std::exception& e) {
      spdlog::error("outbox relay: {}", e.what());
    }
    wait(options_.idle_poll, true, gather_until);
  }
  // Acknowledgements of rows in flight, for a while: each one removed now is not published again.
  const auto until = Clock::now() + options_.stop_wait;
  try {
    std::lock_guard drain(drain_mutex_);
    // A stalled broker acknowledges nothing more: no point waiting for it.
    while (window_.in_flight() > 0 && Clock::now() < until && !stalled_.load()) {
      step();
      if (window_.in_flight() > 0) wait(std::chrono::milliseconds(50), false);
    }
    remove_acknowledged(true);  // what came, even with rows still in flight
  } catch (const std::exception& e) {
    spdlog::error("outbox relay: {}", e.what());
  }
}

// ---------------------------------------------------------------------------------------------
// Consumer

// Takes the messages a leaving member fetched ahead and never handed to its handler: closing
// serves the group's queue with callbacks, and librdkafka 2.0.2 aborts the process on a fetched
// message there unless a consume callback takes it. Dropping them loses nothing: their offsets
// were never committed, so the partition's next owner reads them. Runs on the closing thread.
class FetchedAhead final : public RdKafka::ConsumeCb {
 public:
  void consume_cb(RdKafka::Message& /*message*/, void* /*opaque*/) override { ++dropped_; }
  [[nodiscard]] std::size_t dropped() const { return dropped_; }

 private:
  std::size_t dropped_ = 0;
};

struct Consumer::Impl final : public RdKafka::RebalanceCb, public DeadLetters {
  Impl(const Settings& settings, ConsumerOptions opts, BatchHandler& h, metrics::Registry& metrics,
       std::atomic<bool>& assigned_flag, std::atomic<std::int64_t>& lag_value,
       std::atomic<std::int64_t>& replacements_value)
      : options(std::move(opts)),
        handler(h),
        assigned(assigned_flag),
        lag(lag_value),
        replacements(replacements_value),
        events(options.group_id),
        dead_producer(settings, options.group_id + "-deadletters", metrics),
        consumed(metrics.counter("events_consumed_total", "Events applied and committed, by topic"), "topic"),
        dead(metrics.counter("dead_letters_total", "Events sent to the dead-letter topic, by source topic"),
             "topic"),
        gaps(metrics
                 .counter("consumer_gaps_total",
                          "Offsets out of range: events lost to retention before they were consumed")
                 .Add({})),
        replaced(metrics
                     .counter("consumer_log_replaced_total",
                              "Times the broker's log was replaced (its cluster id changed): read again "
                              "from the start")
                     .Add({})),
        lag_gauge(metrics.gauge("consumer_lag_messages", "Events behind the high watermark, by group")
                      .Add({{"group", options.group_id}})),
        apply_seconds(metrics.histogram("consumer_apply_seconds", "Time to apply one batch")
                          .Add({}, metrics::Registry::latency_buckets())) {
    if (options.group_id.empty()) throw std::runtime_error("kafka consumer: group_id is empty");
    if (options.topics.empty()) throw std::runtime_error("kafka consumer: no topics");
    if (options.max_batch <= 0) throw std::runtime_error("kafka consumer: max_batch must be positive");
    auto conf =
        make_conf(settings,
                  // A short fetch wait keeps counters fresh (the default waits up to 500 ms when a
                  // partition has little new data); operators may raise it for throughput.
                  {{"client.id", options.group_id}, {"fetch.wait.max.ms", "20"}},
                  {{"group.id", options.group_id},
                   {"enable.auto.commit", "false"},
                   {"enable.auto.offset.store", "false"},
                   // A gap is an alarm and a trigger for a rebuild, never a silent skip.
                   {"auto.offset.reset", "error"},
                   {"enable.partition.eof", "false"},
                   {"session.timeout.ms", std::to_string(options.session_timeout_ms)},
                   {"heartbeat.interval.ms", std::to_string(std::max(options.session_timeout_ms / 3, 100))}});
    std::string errstr;
    if (conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), errstr) !=
            RdKafka::Conf::CONF_OK ||
        conf->set("event_cb", static_cast<RdKafka::EventCb*>(&events), errstr) != RdKafka::Conf::CONF_OK ||
        conf->set("consume_cb", static_cast<RdKafka::ConsumeCb*>(&fetched_ahead), errstr) !=
            RdKafka::Conf::CONF_OK) {
      throw std::runtime_error("kafka consumer callbacks: " + errstr);
    }
    consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), errstr));
    if (!consumer) throw std::runtime_error("kafka consumer: " + errstr);
  }

  ~Impl() override { close(); }

  // Leaves the group at once (revoking through rebalance_cb) instead of after the session
  // timeout, waiting for the broker at most kCloseTimeout: with the broker gone, the group
  // forgets this member after its session timeout anyway.
  void close() {
    if (closed || !consumer) return;
    closed = true;
    constexpr auto kCloseTimeout = std::chrono::seconds(3);
    auto* queue = rd_kafka_queue_new(consumer->c_ptr());
    if (auto* error = rd_kafka_consumer_close_queue(consumer->c_ptr(), queue)) {
      spdlog::warn("kafka consumer {}: close: {}", options.group_id, rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    } else {
      const auto deadline = Clock::now() + kCloseTimeout;
      while (rd_kafka_consumer_closed(consumer->c_ptr()) == 0 && Clock::now() < deadline)
        rd_kafka_queue_poll_callback(queue, 100);
      if (rd_kafka_consumer_closed(consumer->c_ptr()) == 0)
        spdlog::warn("kafka consumer {}: the broker did not answer the close within {} s; left without it",
                     options.group_id, kCloseTimeout.count());
    }
    if (fetched_ahead.dropped() > 0) {
      spdlog::info(
          "kafka consumer {}: left {} fetched event(s) it had not taken to the partitions' next owner",
          options.group_id, fetched_ahead.dropped());
    }
    rd_kafka_queue_destroy(queue);
  }

  // DeadLetters
  Result<void> send(const ConsumedMessage& message, const std::string& reason) override {
    Message letter{options.dead_letter_topic,
                   message.key,
                   message.payload,
                   {{"jaring-error", reason},
                    {"jaring-source-topic", message.topic},
                    {"jaring-source-partition", std::to_string(message.partition)},
                    {"jaring-source-offset", std::to_string(message.offset)}}};
    if (dead_producer.produce_and_wait({letter}, 10s) != 1) {
      return fail(
          Error::unavailable("dead-letter topic " + options.dead_letter_topic + " did not acknowledge"));
    }
    dead[message.topic].Increment();
    spdlog::warn("kafka consumer {}: dead-lettered {} [{}] @{}: {}", options.group_id, message.topic,
                 message.partition, message.offset, reason);
    return {};
  }

  // RebalanceCb: runs inside consume() on the poll thread. Must not throw.
  void rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    try {
      std::vector<TopicPartition> list;
      list.reserve(partitions.size());
      for (auto* p : partitions) list.push_back({p->topic(), p->partition()});
      bool cooperative = c->rebalance_protocol() == "COOPERATIVE";
      if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
        pending_assign = list;
        pending_cooperative = cooperative;
        try_assign();
      } else {
        if (err != RdKafka::ERR__REVOKE_PARTITIONS) {
          spdlog::error("kafka consumer {}: rebalance error: {}", options.group_id, RdKafka::err2str(err));
        }
        revoke(list, cooperative);
      }
    } catch (const std::exception& e) {
      spdlog::error("kafka consumer {}: rebalance: {}", options.group_id, e.what());
    } catch (...) {
      spdlog::error("kafka consumer {}: rebalance: unknown exception", options.group_id);
    }
  }

  // Assigns pending_assign at the handler's start offsets (else committed, else the log start).
  // On failure the partitions stay pending and the poll loop tries again after retry_backoff.
  void try_assign() {
    if (!pending_assign) return;
    try {
      assign_pending();
    } catch (const std::exception& e) {
      spdlog::error("kafka consumer {}: cannot assign partitions yet, retrying in {} ms: {}",
                    options.group_id, options.retry_backoff.count(), e.what());
      assign_retry_at = Clock::now() + options.retry_backoff;
    }
  }

  void assign_pending() {
    const auto& list = *pending_assign;
    // Asked afresh at every assignment: a group rejoined after a broker restart must not resume
    // at positions of the log that is gone.
    if (log_replaced(/*fresh=*/true)) from_start = true;
    if (from_start && pending_cooperative) {
      // Partitions already held are assigned again at their new start.
      std::vector<RdKafka::TopicPartition*> held;
      for (const auto& tp : list) {
        if (std::find(assignment.begin(), assignment.end(), tp) != assignment.end())
          held.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition));
      }
      if (!held.empty()) {
        std::unique_ptr<RdKafka::Error> error(consumer->incremental_unassign(held));
        RdKafka::TopicPartition::destroy(held);
        if (error) throw std::runtime_error("incremental_unassign: " + error->str());
        std::erase_if(assignment, [&](const TopicPartition& tp) {
          return std::find(list.begin(), list.end(), tp) != list.end();
        });
      }
    }
    auto starts = handler.start_offsets(list, cluster);
    std::vector<RdKafka::TopicPartition*> parts;
    std::vector<RdKafka::TopicPartition*> ask;
    for (const auto& tp : list) {
      auto it = starts.find(tp);
      auto* p = RdKafka::TopicPartition::create(tp.topic, tp.partition);
      if (it != starts.end() && it->second == kLogStart) {
        p->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
      } else if (it != starts.end() && it->second >= 0) {
        p->set_offset(it->second);
      } else {
        ask.push_back(p);
      }
      parts.push_back(p);
    }
    struct Destroy {
      std::vector<RdKafka::TopicPartition*>& parts;
      ~Destroy() { RdKafka::TopicPartition::destroy(parts); }
    } destroy{parts};
    if (!ask.empty() && from_start) {
      // A new log: what the group committed (to the old one, or to the new one at the old
      // positions) says nothing about it.
      for (auto* p : ask) p->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
    } else if (!ask.empty()) {
      auto err = consumer->committed(ask, 10000);
      if (err != RdKafka::ERR_NO_ERROR)
        throw std::runtime_error("committed offsets: " + RdKafka::err2str(err));
      // No commit yet: the start of the log. auto.offset.reset=error would stop there instead.
      for (auto* p : ask) {
        if (p->offset() < 0) p->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
      }
    }
    if (pending_cooperative) {
      std::unique_ptr<RdKafka::Error> error(consumer->incremental_assign(parts));
      if (error) throw std::runtime_error("incremental_assign: " + error->str());
      assignment.insert(assignment.end(), list.begin(), list.end());
    } else {
      auto err = consumer->assign(parts);
      if (err != RdKafka::ERR_NO_ERROR) throw std::runtime_error("assign: " + RdKafka::err2str(err));
      assignment = list;
    }
    std::string where;
    for (auto* p : parts) {
      if (!where.empty()) where += ", ";
      where += p->topic() + "[" + std::to_string(p->partition()) + "]@" +
               (p->offset() == RdKafka::Topic::OFFSET_BEGINNING ? std::string("start")
                                                                : std::to_string(p->offset()));
    }
    spdlog::info("kafka consumer {}: assigned {} partition(s){}{}", options.group_id, parts.size(),
                 parts.empty() ? "" : ": ", where);
    pending_assign.reset();
    from_start = false;
    assigned = true;
  }

  // The broker's cluster id now: from the last metadata librdkafka holds, or (`fresh`) from a
  // metadata request made now. Empty when the broker does not answer.
  std::string current_cluster(bool fresh) {
    if (fresh) {
      RdKafka::Metadata* metadata = nullptr;
      if (consumer->metadata(false, nullptr, &metadata, 2000) == RdKafka::ERR_NO_ERROR) delete metadata;
    }
    char* id = rd_kafka_clusterid(consumer->c_ptr(), 0);
    std::string out = id != nullptr ? id : "";
    if (id != nullptr) rd_kafka_mem_free(consumer->c_ptr(), id);
    return out;
  }

  // True when the cluster id differs from the one this consumer read from: the log was
  // replaced. The first id seen is only noted.
  bool log_replaced(bool fresh) {
    const auto now = current_cluster(fresh);
    if (now.empty() || now == cluster) return false;
    if (cluster.empty()) {
      cluster = now;
      return false;
    }
    spdlog::warn(
        "kafka consumer {}: the broker's log was replaced (cluster {} -> {}): its events before that are "
        "gone; reading every assigned partition again from the start",
        options.group_id, cluster, now);
    cluster = now;
    replaced.Increment();
    ++replacements;
    batch.clear();  // read from the old positions of the new log: read again from its start
    return true;
  }

  // Every held partition assigned again at its start in the new log (handler's offsets for the
  // new cluster, else the log start).
  void reread_from_start() {
    from_start = true;
    // Positions in the log that is gone: committed now, they would point past the new log's
    // events (and a handler with no offsets of its own for it would resume there).
    uncommitted.clear();
    if (assignment.empty()) return;
    pending_assign = assignment;
    pending_cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    assign_retry_at = Clock::time_point{};
  }

  void revoke(const std::vector<TopicPartition>& list, bool cooperative) {
    pending_assign.reset();
    // Messages of revoked partitions in a half-filled batch: the next owner reads them again.
    std::erase_if(batch, [&](const ConsumedMessage& m) {
      return std::find(list.begin(), list.end(), TopicPartition{m.topic, m.partition}) != list.end();
    });
    // Not committed from here (this runs inside consume()): the next owner starts from the
    // handler's own offsets, or reads again what the group's commit is behind by, and dedupes.
    for (const auto& tp : list) uncommitted.erase(tp);
    if (cooperative) {
      std::vector<RdKafka::TopicPartition*> parts;
      parts.reserve(list.size());
      for (const auto& tp : list) parts.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition));
      std::unique_ptr<RdKafka::Error> error(consumer->incremental_unassign(parts));
      RdKafka::TopicPartition::destroy(parts);
      std::erase_if(assignment, [&](const TopicPartition& tp) {
        return std::find(list.begin(), list.end(), tp) != list.end();
      });
    } else {
      consumer->unassign();
      assignment.clear();
    }
    if (!list.empty())
      spdlog::info("kafka consumer {}: {} partition(s) revoked", options.group_id, list.size());
    assigned = !assignment.empty();
    update_lag();
  }

  void run() {
    auto next_lag = Clock::now();
    while (!stopping.load()) {
      try {
        if (pending_assign && Clock::now() >= assign_retry_at) try_assign();
        collect();
        if (stopping.load()) break;  // a half-filled batch is dropped: it was never committed
        if (!batch.empty()) {
          process();
          next_lag = Clock::now();
        } else {
          commit();  // nothing came for a while: what was applied reaches the group now
        }
        if (Clock::now() >= next_lag) {
          update_lag();
          // The id librdkafka holds every second; a metadata request every few seconds, since
          // a broker restarted at the same address may serve before anything asks again.
          const bool fresh = Clock::now() >= next_fresh_check;
          if (fresh) next_fresh_check = Clock::now() + 5s;
          if (log_replaced(fresh)) reread_from_start();
          next_lag = Clock::now() + 1s;
        }
      } catch (const std::exception& e) {
        // Nothing here should throw; if it does, keep the thread (and the process) alive.
        spdlog::error("kafka consumer {}: {}", options.group_id, e.what());
        std::unique_lock lock(mutex);
        wake.wait_for(lock, options.retry_backoff, [this] { return stopping.load(); });
      }
    }
    batch.clear();
    commit();  // sent, not waited for (stop() is under way)
    close();
  }

  // Fills `batch` with up to max_batch messages, waiting at most max_wait after the first for
  // more to arrive; past it, still takes what librdkafka already holds (a fetch brings hundreds
  // of messages at once), without waiting. What is held is taken without reading the clock (a
  // system call on some VMs, once a message for librdkafka and once for us): only a wait does.
  void collect() {
    batch.clear();
    Clock::time_point deadline{};
    bool waiting = false;  // nothing more was held: waiting for what is left of max_wait
    while (!stopping.load() && batch.size() < static_cast<std::size_t>(options.max_batch)) {
      int timeout = 100;  // idle: wake often enough to notice stop()
      if (!batch.empty()) timeout = waiting ? to_ms(deadline - Clock::now()) : 0;
      std::unique_ptr<RdKafka::Message> msg(consumer->consume(timeout));
      if (!msg) continue;
      switch (msg->err()) {
        case RdKafka::ERR_NO_ERROR: {
          waiting = false;
          if (batch.empty()) deadline = Clock::now() + options.max_wait;
          ConsumedMessage m;
          m.topic = msg->topic_name();
          m.partition = msg->partition();
          m.offset = msg->offset();
          if (msg->key_pointer() != nullptr)
            m.key.assign(static_cast<const char*>(msg->key_pointer()), msg->key_len());
          if (msg->payload() != nullptr)
            m.payload.assign(static_cast<const char*>(msg->payload()), msg->len());
          batch.push_back(std::move(m));
          break;
        }
        case RdKafka::ERR__TIMED_OUT:
          // Nothing came (let the loop do its periodic work), or nothing more came in max_wait.
          if (batch.empty() || waiting || Clock::now() >= deadline) return;
          waiting = true;
          break;
        case RdKafka::ERR__PARTITION_EOF:
          break;
        case RdKafka::ERR__AUTO_OFFSET_RESET:
        case RdKafka::ERR_OFFSET_OUT_OF_RANGE:
          // Past the end of a log that restarted empty, not a gap in this one.
          if (log_replaced(/*fresh=*/true)) {
            reread_from_start();
            return;
          }
          gaps.Increment();
          spdlog::error(
              "kafka consumer {}: GAP on {} [{}]: {}; events were lost before this group read them, the "
              "partition stops here: rebuild the read model",
              options.group_id, msg->topic_name(), msg->partition(), msg->errstr());
          break;
        default:
          spdlog::warn("kafka consumer {}: {}", options.group_id, msg->errstr());
          break;
      }
    }
  }

  // Applies the batch until the handler succeeds (or stop), then commits it.
  void process() {
    in_partition_order(batch);
    while (true) {
      auto started = Clock::now();
      Result<void> result;
      try {
        result = handler.apply(batch, *this);
      } catch (const std::exception& e) {
        result = fail(Error::internal(std::string("handler threw: ") + e.what()));
      }
      apply_seconds.Observe(std::chrono::duration<double>(Clock::now() - started).count());
      if (result) break;
      spdlog::warn("kafka consumer {}: apply of {} event(s) failed, retrying in {} ms: {}", options.group_id,
                   batch.size(), options.retry_backoff.count(), result.error().message);
      // A handler may refuse a batch because it was read from a log that is gone (coverage's
      // counters moved to the new one): such a batch is never offered again.
      if (log_replaced(/*fresh=*/true)) {
        reread_from_start();
        return;
      }
      // No consume() while retrying: the assignment cannot change under the batch. (Past
      // max.poll.interval.ms the member leaves the group; its commit then fails harmlessly.)
      std::unique_lock lock(mutex);
      if (wake.wait_for(lock, options.retry_backoff, [this] { return stopping.load(); })) return;
    }
    for (const auto& m : batch) {
      auto& offset = uncommitted[{m.topic, m.partition}];
      offset = std::max(offset, m.offset + 1);
    }
    if (Clock::now() - committed_at >= options.commit_interval) commit();
    std::map<std::string, std::size_t> per_topic;
    for (const auto& m : batch) ++per_topic[m.topic];
    for (const auto& [topic, n] : per_topic) consumed[topic].Increment(static_cast<double>(n));
  }

  // Commits what was applied since the last commit.
  void commit() {
    if (uncommitted.empty()) return;
    const auto next = std::exchange(uncommitted, {});
    committed_at = Clock::now();
    for (int attempt = 1; attempt <= 3; ++attempt) {
      const auto err = commit_once(next);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR || stopping.load()) break;  // at stop: sent, not waited for
      // The handler's effects are durable; a lost commit only means a replay it deduplicates.
      spdlog::warn("kafka consumer {}: commit attempt {} failed: {}", options.group_id, attempt,
                   rd_kafka_err2str(err));
      if (attempt == 3) break;
      std::unique_lock lock(mutex);
      wake.wait_for(lock, options.retry_backoff, [this] { return stopping.load(); });
    }
  }

  // One asynchronous commit of `next`, waited for at most commit_timeout and never past stop()
  // (librdkafka's synchronous commit has no timeout: with the broker gone it held SIGTERM for
  // tens of seconds).
  rd_kafka_resp_err_t commit_once(const std::map<TopicPartition, std::int64_t>& next) {
    struct Outcome {
      bool done = false;
      rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    } outcome;
    // Served only by rd_kafka_queue_poll_callback below, on this thread: once the queue is
    // destroyed unserved, it is never called, so `outcome` may live on the stack.
    const auto on_commit = [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
                              void* opaque) {
      auto* out = static_cast<Outcome*>(opaque);
      out->done = true;
      out->err = err;
      for (int i = 0; offsets != nullptr && i < offsets->cnt && out->err == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
        out->err = offsets->elems[i].err;
    };
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
    for (const auto& [tp, offset] : next)
      rd_kafka_topic_partition_list_add(list, tp.topic.c_str(), tp.partition)->offset = offset;
    auto* queue = rd_kafka_queue_new(consumer->c_ptr());
    auto err = rd_kafka_commit_queue(consumer->c_ptr(), list, queue, on_commit, &outcome);
    rd_kafka_topic_partition_list_destroy(list);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const auto deadline = Clock::now() + options.commit_timeout;
      while (!outcome.done && !stopping.load() && Clock::now() < deadline)
        rd_kafka_queue_poll_callback(queue, 100);
      err = outcome.done ? outcome.err : RD_KAFKA_RESP_ERR__TIMED_OUT;
    }
    rd_kafka_queue_destroy(queue);
    return err;
  }

  // Sum over assigned partitions of high watermark - position (both known locally, no request).
  void update_lag() {
    std::int64_t total = 0;
    if (!assignment.empty()) {
      std::vector<RdKafka::TopicPartition*> parts;
      parts.reserve(assignment.size());
      for (const auto& tp : assignment)
        parts.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition));
      if (consumer->position(parts) == RdKafka::ERR_NO_ERROR) {
        for (auto* p : parts) {
          std::int64_t low = 0;
          std::int64_t high = 0;
          if (p->offset() < 0) continue;  // nothing consumed yet: unknown
          if (consumer->get_watermark_offsets(p->topic(), p->partition(), &low, &high) !=
                  RdKafka::ERR_NO_ERROR ||
              high < 0) {
            continue;
          }
          total += std::max<std::int64_t>(0, high - p->offset());
        }
      }
      RdKafka::TopicPartition::destroy(parts);
    }
    lag = total;
    lag_gauge.Set(static_cast<double>(total));
  }

  ConsumerOptions options;
  BatchHandler& handler;
  std::atomic<bool>& assigned;
  std::atomic<std::int64_t>& lag;
  std::atomic<std::int64_t>& replacements;
  EventLogger events;
  Producer dead_producer;
  LabelledCounters consumed;
  LabelledCounters dead;
  prometheus::Counter& gaps;
  prometheus::Counter& replaced;
  prometheus::Gauge& lag_gauge;
  prometheus::Histogram& apply_seconds;
  FetchedAhead fetched_ahead;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;

  // Poll-thread state (rebalance_cb runs on the poll thread too).
  std::vector<ConsumedMessage> batch;
  // Offsets applied and not yet committed to the group, and when the last commit was made.
  std::map<TopicPartition, std::int64_t> uncommitted;
  Clock::time_point committed_at{};
  std::vector<TopicPartition> assignment;
  std::optional<std::vector<TopicPartition>> pending_assign;
  bool pending_cooperative = false;
  bool from_start = false;  // the log was replaced: assign at its start, not at commits
  std::string cluster;      // the broker's cluster id this consumer reads from
  Clock::time_point next_fresh_check{};
  Clock::time_point assign_retry_at{};
  bool closed = false;

  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable wake;
  std::thread thread;
};

Consumer::Consumer(const Settings& settings, ConsumerOptions options, BatchHandler& handler,
                   metrics::Registry& metrics)
    : impl_(std::make_unique<Impl>(settings, std::move(options), handler, metrics, assigned_, lag_,
                                   replacements_)) {}

Consumer::~Consumer() {
  stop();
  impl_.reset();  // closes the consumer while assigned_ and lag_ still exist
}

void Consumer::start() {
  if (impl_->thread.joinable()) return;
  if (impl_->closed)
    throw std::runtime_error("kafka consumer " + impl_->options.group_id + ": stopped for good");
  auto err = impl_->consumer->subscribe(impl_->options.topics);
  if (err != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("kafka consumer " + impl_->options.group_id +
                             ": subscribe: " + RdKafka::err2str(err));
  }
  impl_->thread = std::thread([this] { impl_->run(); });
}

void Consumer::stop() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->close();
  assigned_ = false;
}

struct TopicFollower::Impl {
  Impl(const Settings& settings, std::string name, Apply fn, std::atomic<bool>& caught_up_flag,
       std::atomic<int>& partition_count)
      : topic(std::move(name)),
        apply(std::move(fn)),
        caught_up(caught_up_flag),
        partitions(partition_count),
        events("follower " + topic) {
    // No group: nothing is committed and nothing joins; group.id only because librdkafka's
    // consumer wants one. earliest: a compacted topic's log may no longer start at 0.
    auto conf = make_conf(settings, {{"client.id", "follower-" + topic}, {"fetch.wait.max.ms", "100"}},
                          {{"group.id", "jaring-follower-" + topic},
                           {"enable.auto.commit", "false"},
                           {"enable.auto.offset.store", "false"},
                           {"auto.offset.reset", "earliest"},
                           {"enable.partition.eof", "false"}});
    std::string errstr;
    if (conf->set("event_cb", static_cast<RdKafka::EventCb*>(&events), errstr) != RdKafka::Conf::CONF_OK)
      throw std::runtime_error("kafka follower callbacks: " + errstr);
    consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), errstr));
    if (!consumer) throw std::runtime_error("kafka follower: " + errstr);
  }

  // The topic's partitions and their high watermarks now; an error text when it does not answer.
  std::optional<std::string> assign_from_start() {
    std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer.get(), topic, nullptr, errstr));
    if (!handle) return "topic: " + errstr;
    RdKafka::Metadata* raw = nullptr;
    auto err = consumer->metadata(false, handle.get(), &raw, 5000);
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    if (err != RdKafka::ERR_NO_ERROR) return "metadata: " + RdKafka::err2str(err);
    const auto* topics = metadata->topics();
    if (topics->size() != 1 || topics->at(0)->err() != RdKafka::ERR_NO_ERROR) {
      return topics->empty() ? std::string("no such topic")
                             : "metadata: " + RdKafka::err2str(topics->at(0)->err());
    }
    if (topics->at(0)->partitions()->empty()) return std::string("no such topic (no partitions)");
    std::vector<RdKafka::TopicPartition*> parts;
    std::map<std::int32_t, std::int64_t> ends;
    for (const auto* p : *topics->at(0)->partitions()) {
      std::int64_t low = 0, high = 0;
      err = consumer->query_watermark_offsets(topic, p->id(), &low, &high, 5000);
      if (err != RdKafka::ERR_NO_ERROR) {
        RdKafka::TopicPartition::destroy(parts);
        return fmt::format("watermarks of partition {}: {}", p->id(), RdKafka::err2str(err));
      }
      if (high > low) ends[p->id()] = high;
      parts.push_back(RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
    }
    err = consumer->assign(parts);
    const auto count = static_cast<int>(parts.size());
    RdKafka::TopicPartition::destroy(parts);
    if (err != RdKafka::ERR_NO_ERROR) return "assign: " + RdKafka::err2str(err);
    std::lock_guard lock(mutex);
    remaining = std::move(ends);
    partitions = count;
    if (remaining.empty()) caught_up = true;
    return std::nullopt;
  }

  void run() {
    while (!stopping.load()) {
      auto failed = assign_from_start();
      if (!failed) break;
      {
        std::lock_guard lock(mutex);
        problem = *failed;
      }
      spdlog::warn("kafka follower of {}: {}; retrying", topic, *failed);
      std::unique_lock lock(mutex);
      wake.wait_for(lock, std::chrono::seconds(1), [this] { return stopping.load(); });
    }
    while (!stopping.load()) {
      std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
      if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
      if (m->err() != RdKafka::ERR_NO_ERROR) {
        spdlog::warn("kafka follower of {}: {}", topic, m->errstr());
        continue;
      }
      ConsumedMessage message{m->topic_name(), m->partition(), m->offset(),
                              m->key() != nullptr ? *m->key() : std::string(),
                              std::string(static_cast<const char*>(m->payload()), m->len())};
      apply(message);
      if (!caught_up.load()) {
        std::lock_guard lock(mutex);
        auto it = remaining.find(message.partition);
        if (it != remaining.end() && message.offset + 1 >= it->second) remaining.erase(it);
        if (remaining.empty()) caught_up = true;
      }
    }
    consumer->close();
  }

  std::string topic;
  Apply apply;
  std::atomic<bool>& caught_up;
  std::atomic<int>& partitions;
  EventLogger events;
  std::string errstr;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  mutable std::mutex mutex;
  std::condition_variable wake;
  std::map<std::int32_t, std::int64_t> remaining;  // partitions not read to their start-up end
  std::string problem;
  std::atomic<bool> stopping{false};
  std::thread thread;
};

TopicFollower::TopicFollower(const Settings& settings, std::string topic, Apply apply)
    : impl_(std::make_unique<Impl>(settings, std::move(topic), std::move(apply), caught_up_, partitions_)) {}

TopicFollower::~TopicFollower() { stop(); }

void TopicFollower::start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] { impl_->run(); });
}

void TopicFollower::stop() {
  if (!impl_->thread.joinable()) return;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

std::optional<std::string> TopicFollower::not_ready() const {
  if (caught_up_.load()) return std::nullopt;
  std::lock_guard lock(impl_->mutex);
  if (partitions_.load() == 0)
    return fmt::format("reading {}: {}", impl_->topic, impl_->problem.empty() ? "starting" : impl_->problem);
  return fmt::format("reading {} from its start ({} of {} partitions to go)", impl_->topic,
                     impl_->remaining.size(), partitions_.load());
}

namespace {

// A consumer handle of its own for one-off questions to the brokers (no group, nothing consumed).
Result<rd_kafka_t*> query_handle(const kafka::Settings& settings) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const auto set = [&](const std::string& key, const std::string& value) {
    return rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK;
  };
  // read_uncommitted: the high watermark itself (nothing in Jaring uses Kafka transactions, and
  // jaring-devkafka answers 0 for the last stable offset).
  bool ok =
      set("bootstrap.servers", settings.bootstrap_servers) && set("isolation.level", "read_uncommitted");
  for (const auto& [key, value] : settings.properties) ok = ok && set(key, value);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return fail(Error::internal(fmt::format("kafka settings: {}", err)));
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) return fail(Error::unavailable(fmt::format("kafka: {}", err)));
  return rk;
}

}  // namespace

Result<std::string> cluster_id(const Settings& settings) {
  auto rk = query_handle(settings);
  if (!rk) return fail(rk.error());
  char* id = rd_kafka_clusterid(*rk, 10000);
  Result<std::string> out = id != nullptr ? Result<std::string>(std::string(id))
                                          : fail(Error::unavailable("kafka: the brokers gave no cluster id"));
  if (id != nullptr) rd_kafka_mem_free(*rk, id);
  rd_kafka_destroy(*rk);
  return out;
}

Result<std::map<std::string, std::int64_t>> high_watermarks(const kafka::Settings& settings,
                                                            const std::vector<std::string>& topics) {
  auto handle_or = query_handle(settings);
  if (!handle_or) return fail(handle_or.error());
  rd_kafka_t* rk = *handle_or;
  Result<std::map<std::string, std::int64_t>> result = std::map<std::string, std::int64_t>{};
  for (const auto& topic : topics) {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    auto code = rd_kafka_metadata(rk, 0, handle, &metadata, 10000);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 || metadata->topics[0].err) {
      result =
          fail(Error::unavailable(fmt::format("kafka metadata of {}: {}", topic, rd_kafka_err2str(code))));
    } else {
      for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
        const auto partition = metadata->topics[0].partitions[i].id;
        std::int64_t low = 0, high = 0;
        code = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high, 10000);
        if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
          result = fail(Error::unavailable(
              fmt::format("watermarks of {}:{}: {}", topic, partition, rd_kafka_err2str(code))));
          break;
        }
        (*result)[fmt::format("{}:{}", topic, partition)] = high;
      }
    }
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(handle);
    if (!result) break;
  }
  rd_kafka_destroy(rk);
  return result;
}

}  // namespace jaring::kafka
